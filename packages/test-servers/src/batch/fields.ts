import type { AwsError, Json } from './wire';

/**
 * Typed reads of a request's members. The real services reject a member of the wrong type with a
 * 400 before doing anything, so a client bug (a number sent as a string, a missing required member)
 * fails here the way it would in production instead of surfacing later as a confusing state.
 */
export class Fields {
  constructor(
    readonly raw: Json,
    private readonly invalid: (message: string) => AwsError,
    private readonly path = '',
  ) {}

  private fail(name: string, expected: string): never {
    throw this.invalid(`${this.path}${name} must be ${expected}.`);
  }

  private get(name: string): unknown {
    const value = this.raw[name];
    return value === null ? undefined : value;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  string(name: string): string | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(name, 'a string');
    return value;
  }

  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') this.fail(name, 'specified');
    return value;
  }

  number(name: string): number | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(name, 'a number');
    return value;
  }

  integer(name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = this.number(name);
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.fail(name, `an integer between ${min} and ${max}`);
    }
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') this.fail(name, 'a boolean');
    return value;
  }

  strings(name: string): string[] | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) this.fail(name, 'a list of strings');
    return value as string[];
  }

  stringMap(name: string): Record<string, string> | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    if (!isObject(value) || !Object.values(value).every((item) => typeof item === 'string')) {
      this.fail(name, 'a map of strings');
    }
    return { ...(value as Record<string, string>) };
  }

  object(name: string): Fields | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    if (!isObject(value)) this.fail(name, 'an object');
    return new Fields(value, this.invalid, `${this.path}${name}.`);
  }

  objects(name: string): Fields[] | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every(isObject)) this.fail(name, 'a list of objects');
    return (value as Json[]).map((item, i) => new Fields(item, this.invalid, `${this.path}${name}[${i}].`));
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
