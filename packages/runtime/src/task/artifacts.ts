import { RESERVED_NAMES, artifactNameClash } from '@flowkit/core/internal';
import { ArtifactError, FlowDataStore, ParameterError, type ArtifactRef } from '@flowkit/core/plugin';

interface Inherited {
  ref: ArtifactRef;
  loaded: boolean;
  value?: unknown;
}

/**
 * The artifacts of the running task, as properties of the flow instance. Inherited ones are
 * accessors that load on first read (synchronously, so step code needs no await); one never read
 * is passed down by reference, without loading or re-serializing it.
 */
export class ArtifactScope {
  private readonly inherited = new Map<string, Inherited>();
  private readonly parameters = new Map<string, ArtifactRef>();
  private readonly constants = new Map<string, unknown>();
  private readonly initialFunctions = new Map<string, unknown>();

  constructor(
    private readonly store: FlowDataStore,
    private readonly flow: object,
    stepNames: string[],
  ) {
    for (const [name, value] of Object.entries(flow)) {
      // Function-valued fields (arrow-function helpers) belong to the class, not to the data.
      if (typeof value === 'function') this.initialFunctions.set(name, value);
      // `x!: T` defines an own `undefined` field under useDefineForClassFields: a declaration, not a value.
      else if (value === undefined) delete (flow as Record<string, unknown>)[name];
    }
    for (const name of RESERVED_NAMES) this.refuseAssignment(name, false);
    for (const name of stepNames) this.refuseAssignment(name, true);
  }

  /** Lint refuses `this.next = ...` in the source; this refuses it when lint cannot see it (`(this as any)`). */
  private refuseAssignment(name: string, isStep: boolean): void {
    const clash = artifactNameClash(name, isStep) as { message: string; hint: string };
    Object.defineProperty(this.flow, name, {
      configurable: true,
      enumerable: false,
      // Reads still reach FlowSpec's member (or the step method) on the prototype.
      get: () => Reflect.get(Object.getPrototypeOf(this.flow) as object, name, this.flow),
      set: () => {
        throw new ArtifactError(clash.message, { hint: clash.hint });
      },
    });
  }

  /** A fresh instance's own data fields (class field initializers), which steps read but never assign. */
  static constantsOf(flow: object, parameterFields: Map<string, unknown>): Map<string, unknown> {
    return new Map(Object.entries(flow).filter(([name, value]) => typeof value !== 'function' && !parameterFields.has(name)));
  }

  /** Makes `flow[name]` read the stored value on first access. */
  inherit(name: string, ref: ArtifactRef): void {
    const entry: Inherited = { ref, loaded: false };
    this.inherited.set(name, entry);
    Object.defineProperty(this.flow, name, {
      configurable: true,
      enumerable: true,
      get: () => {
        if (!entry.loaded) {
          entry.value = this.store.loadValueSync(entry.ref);
          entry.loaded = true;
        }
        return entry.value;
      },
      set: (value: unknown) => {
        entry.value = value;
        entry.loaded = true;
      },
    });
  }

  /** Makes a Parameter field read as the run's value, refusing assignment. */
  bindParameter(field: string, name: string, ref: ArtifactRef, value: unknown): void {
    this.parameters.set(field, ref);
    this.defineReadOnly(field, value, () => new ParameterError(`Parameter '${name}' is read-only in steps.`, { hint: `store a changed copy under another name, e.g. this.${field}Used = ...` }));
  }

  /** Makes a class field read as its initial value, refusing assignment; stored as an artifact like the rest. */
  bindConstant(field: string, value: unknown): void {
    this.constants.set(field, value);
    this.defineReadOnly(
      field,
      value,
      () =>
        new ArtifactError(`'${field}' is a constant of the flow (a class field with an initializer) and is read-only in steps.`, {
          hint: `declare it without a value (declare ${field}: T) and assign it in a step, or store the new value under another name`,
        }),
    );
  }

  /** A field that reads as `value`; assigning it throws the refusal. Not enumerable: persist() stores it apart. */
  private defineReadOnly(field: string, value: unknown, refusal: () => Error): void {
    Object.defineProperty(this.flow, field, {
      configurable: true,
      enumerable: false,
      get: () => value,
      set: () => {
        throw refusal();
      },
    });
  }

  /** True when this task holds an artifact of that name (set, inherited or merged). */
  has(name: string): boolean {
    return Object.prototype.propertyIsEnumerable.call(this.flow, name);
  }

  /** Serializes what the step set or read (it may have mutated it) and refers to everything else. */
  async persist(): Promise<Record<string, ArtifactRef>> {
    const refs: Record<string, ArtifactRef> = Object.fromEntries(this.parameters);
    const toSave = new Map<string, unknown>(this.constants);
    for (const name of Object.keys(this.flow)) {
      const entry = this.inherited.get(name);
      if (entry && !entry.loaded) {
        refs[name] = entry.ref;
        continue;
      }
      const value = (this.flow as Record<string, unknown>)[name];
      if (typeof value === 'function' && this.initialFunctions.get(name) === value) continue;
      const clash = artifactNameClash(name, false);
      if (clash) throw new ArtifactError(clash.message, { hint: clash.hint });
      toSave.set(name, value);
    }
    for (const [name, ref] of await this.store.saveArtifacts(toSave)) {
      refs[name] = ref;
      if (ref.serializer === 'v8' && losesClass(toSave.get(name))) {
        process.stderr.write(
          `FlowKit: artifact '${name}' is a ${ref.type} instance, stored as plain data: later steps and the client read it without ${ref.type}'s methods (register a Serializer for ${ref.type} to keep them).\n`,
        );
      }
    }
    return refs;
  }
}

/** Structured clone keeps these prototypes; it stores any other object as a plain one. */
const CLONED_CLASSES: unknown[] = [Object.prototype, Array.prototype, Map.prototype, Set.prototype, Date.prototype, RegExp.prototype, ArrayBuffer.prototype, Number.prototype, String.prototype, Boolean.prototype];

function losesClass(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof Error) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype !== null && !CLONED_CLASSES.includes(prototype);
}
