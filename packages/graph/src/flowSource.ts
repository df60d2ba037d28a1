import type {
  CallExpression,
  ClassDeclaration,
  ClassMethod,
  Decorator,
  Identifier,
  MemberExpression,
  Node,
  ObjectExpression,
  OptionalCallExpression,
  OptionalMemberExpression,
  Program,
  TSDeclareMethod,
} from '@babel/types';
import { FlowDefinitionError, type DecoratorSpec } from '@flowkit/core/plugin';
import { docBefore } from './jsdoc';
import { locateNode, textOf, type Source } from './source';

type Call = CallExpression | OptionalCallExpression;
type Method = ClassMethod | TSDeclareMethod;

/** A `this.next(...)` call as written. */
export interface NextCall {
  node: Call;
  /** `this.<name>` targets; undefined where an argument is not of that form. */
  targets: Array<{ name: string | undefined; node: Call['arguments'][number] }>;
  /** The options object, when the last argument is an object literal. */
  options?: ObjectExpression;
}

/** One `@step` method as the source writes it. */
export interface StepSource {
  name: string;
  method: Method;
  nameNode: Identifier;
  parameters: Method['params'];
  decorators: Array<{ spec: DecoratorSpec; node: Decorator }>;
  doc?: string;
  /** Every this.next() call in the body, nested ones included. */
  nextCalls: NextCall[];
  /** The call when it is the body's last statement. */
  lastNext?: NextCall;
}

/** The flow class as the source writes it: what the graph and lint rules are built from. */
export interface FlowSource {
  /** The parsed file, for the text of its nodes. */
  source: Source;
  className: string;
  nameNode: Node;
  doc?: string;
  decorators: DecoratorSpec[];
  steps: Map<string, StepSource>;
  /** Names assigned as `this.x = ...` anywhere in the class, or declared as fields. */
  artifacts: Set<string>;
  /** Every `this.x = ...` assignment, for the reserved-name rule. */
  assignments: Array<{ name: string; node: Node }>;
}

/** Names bound to FlowKit's exports in this file: `FlowSpec`, `step`, aliased or through a namespace import. */
interface Bindings {
  flowSpec: Set<string>;
  step: Set<string>;
  namespaces: Set<string>;
}

function importBindings(program: Program): Bindings {
  const bindings: Bindings = { flowSpec: new Set(), step: new Set(), namespaces: new Set() };
  for (const statement of program.body) {
    if (statement.type !== 'ImportDeclaration') continue;
    for (const specifier of statement.specifiers) {
      if (specifier.type === 'ImportNamespaceSpecifier') bindings.namespaces.add(specifier.local.name);
      if (specifier.type === 'ImportSpecifier') {
        const imported = specifier.imported.type === 'Identifier' ? specifier.imported.name : specifier.imported.value;
        if (imported === 'FlowSpec') bindings.flowSpec.add(specifier.local.name);
        if (imported === 'step') bindings.step.add(specifier.local.name);
      }
    }
  }
  return bindings;
}

/** Every node under `node`, each before the nodes under it, in source order (as TypeScript's forEachChild walks). */
function walk(node: Node, visit: (child: Node, parent: Node) => void): void {
  const children = Object.values(node)
    .flat()
    .filter((value): value is Node => typeof (value as Node | null)?.type === 'string')
    .sort((a, b) => (a.start as number) - (b.start as number));
  for (const child of children) {
    visit(child, node);
    walk(child, visit);
  }
}

function isCall(node: Node): node is Call {
  return node.type === 'CallExpression' || node.type === 'OptionalCallExpression';
}

/** `object.name` or `object?.name`, not `object[key]`: what TypeScript calls a property access. */
function isPropertyAccess(node: Node): node is MemberExpression | OptionalMemberExpression {
  return (node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression') && !node.computed;
}

/** The name a property access reads; a private one keeps its `#`, as in TypeScript's tree. */
function accessedName(node: MemberExpression | OptionalMemberExpression): string {
  return node.property.type === 'PrivateName' ? `#${node.property.id.name}` : (node.property as Identifier).name;
}

/** `name` for `this.name`; undefined for any other node. */
function thisAccess(node: Node): string | undefined {
  return isPropertyAccess(node) && node.object.type === 'ThisExpression' ? accessedName(node) : undefined;
}

/** Whether an expression names an export (`FlowSpec`, `fk.FlowSpec`) under the file's bindings. */
function refersTo(expression: Node, local: Set<string>, exported: string, bindings: Bindings): boolean {
  if (expression.type === 'Identifier') return local.has(expression.name);
  return (
    isPropertyAccess(expression) &&
    expression.object.type === 'Identifier' &&
    bindings.namespaces.has(expression.object.name) &&
    accessedName(expression) === exported
  );
}

/** Finds the one flow class of the file: the FlowSpec subclass no other class in the file extends. */
export function readFlowSource(source: Source): FlowSource {
  const bindings = importBindings(source.program);
  const classes = new Map<string, ClassDeclaration>();
  // Where each class's declaration starts, `export` included: its doc comes before that.
  const starts = new Map<ClassDeclaration, number>();
  walk(source.program, (node, parent) => {
    if (node.type !== 'ClassDeclaration' || !node.id) return;
    classes.set(node.id.name, node);
    starts.set(node, (parent.type === 'ExportNamedDeclaration' || parent.type === 'ExportDefaultDeclaration' ? parent : node).start as number);
  });
  const parentClass = (node: ClassDeclaration) => (node.superClass?.type === 'Identifier' ? classes.get(node.superClass.name) : undefined);
  const isFlow = (node: ClassDeclaration, seen = new Set<string>()): boolean => {
    const base = node.superClass;
    if (!base) return false;
    if (refersTo(base, bindings.flowSpec, 'FlowSpec', bindings)) return true;
    const parent = parentClass(node);
    return parent !== undefined && !seen.has(textOf(source, base)) && isFlow(parent, new Set([...seen, textOf(source, base)]));
  };
  const flows = [...classes.values()].filter((c) => isFlow(c));
  const extended = new Set(flows.map((c) => c.superClass && textOf(source, c.superClass)));
  const leaves = flows.filter((c) => !extended.has(c.id?.name));
  if (leaves.length === 0) {
    throw new FlowDefinitionError(`${source.fileName} defines no class that extends FlowSpec.`, {
      hint: "write `export default class MyFlow extends FlowSpec { ... }` with FlowSpec imported from '@flowkit/core'",
    });
  }
  if (leaves.length > 1) {
    const [, second] = leaves as [ClassDeclaration, ClassDeclaration];
    throw new FlowDefinitionError(`${source.fileName} defines ${leaves.length} flows (${leaves.map((c) => c.id?.name).join(', ')}); a flow file holds one.`, {
      location: locateNode(second.id ?? second),
      hint: 'move each flow to its own file',
    });
  }
  const flowClass = leaves[0] as ClassDeclaration;
  const lineage: ClassDeclaration[] = [];
  for (let c: ClassDeclaration | undefined = flowClass; c && isFlow(c); c = parentClass(c)) lineage.unshift(c);

  const steps = new Map<string, StepSource>();
  const artifacts = new Set<string>();
  const assignments: FlowSource['assignments'] = [];
  for (const cls of lineage) {
    for (const member of cls.body.body) {
      if ((member.type === 'ClassProperty' || member.type === 'ClassAccessorProperty') && !member.computed && member.key.type === 'Identifier') {
        artifacts.add(member.key.name);
      }
      if ((member.type === 'ClassMethod' || member.type === 'TSDeclareMethod') && member.kind === 'method' && !member.computed && member.key.type === 'Identifier') {
        const decorators = member.decorators ?? [];
        if (decorators.some((d) => isStepDecorator(d, bindings))) steps.set(member.key.name, readStep(source, member, member.key, decorators, bindings));
        else steps.delete(member.key.name);
      }
    }
    walk(cls, (node) => {
      if (node.type !== 'AssignmentExpression' || node.operator !== '=') return;
      const name = thisAccess(node.left);
      if (name === undefined) return;
      artifacts.add(name);
      assignments.push({ name, node: node.left });
    });
  }
  return {
    source,
    className: flowClass.id?.name ?? 'Flow',
    nameNode: flowClass.id ?? flowClass,
    doc: docBefore(source, starts.get(flowClass) as number),
    decorators: (flowClass.decorators ?? []).map((d) => decoratorSpec(d)).filter((s): s is DecoratorSpec => s !== undefined),
    steps,
    artifacts,
    assignments,
  };
}

function isStepDecorator(decorator: Decorator, bindings: Bindings): boolean {
  return refersTo(decorator.expression, bindings.step, 'step', bindings);
}

function readStep(source: Source, method: Method, nameNode: Identifier, decorators: readonly Decorator[], bindings: Bindings): StepSource {
  const body = method.type === 'ClassMethod' ? method.body : undefined;
  const nextCalls: NextCall[] = [];
  if (body) {
    walk(body, (node) => {
      if (isCall(node) && thisAccess(node.callee) === 'next') nextCalls.push(readNext(node));
    });
  }
  const last = body?.body[body.body.length - 1];
  const lastCall = last?.type === 'ExpressionStatement' ? unwrapAwait(last.expression) : undefined;
  return {
    name: nameNode.name,
    method,
    nameNode,
    parameters: method.params,
    decorators: decorators
      .filter((d) => !isStepDecorator(d, bindings))
      .map((node) => ({ spec: decoratorSpec(node), node }))
      .filter((d): d is { spec: DecoratorSpec; node: Decorator } => d.spec !== undefined),
    doc: docBefore(source, method.start as number),
    nextCalls,
    lastNext: nextCalls.find((call) => call.node === lastCall),
  };
}

function unwrapAwait(expression: Node): Node {
  return expression.type === 'AwaitExpression' ? expression.argument : expression;
}

function readNext(node: Call): NextCall {
  const args = [...node.arguments];
  const lastArg = args[args.length - 1];
  const options = lastArg?.type === 'ObjectExpression' ? (args.pop() as ObjectExpression) : undefined;
  return {
    node,
    options,
    targets: args.map((arg) => ({ name: thisAccess(arg), node: arg })),
  };
}

/** A decorator's name and its literal attributes (`@retry({ times: 2 })`); non-literal values are left out. */
function decoratorSpec(decorator: Decorator): DecoratorSpec | undefined {
  const expression = decorator.expression;
  const callee = isCall(expression) ? expression.callee : expression;
  const name = callee.type === 'Identifier' ? callee.name : isPropertyAccess(callee) ? accessedName(callee) : undefined;
  if (!name) return undefined;
  const first = isCall(expression) ? expression.arguments[0] : undefined;
  const attributes = first?.type === 'ObjectExpression' ? literalObject(first) : {};
  return { name, attributes };
}

/** The text of a string literal or of a template literal without substitutions; undefined for other nodes. */
export function stringValue(node: Node): string | undefined {
  if (node.type === 'StringLiteral') return node.value;
  return node.type === 'TemplateLiteral' && node.expressions.length === 0 ? node.quasis[0]?.value.cooked : undefined;
}

const NOT_LITERAL = Symbol('not literal');

function literalObject(node: ObjectExpression): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const property of node.properties) {
    if (property.type !== 'ObjectProperty' || property.computed || property.shorthand) continue;
    const key = property.key.type === 'Identifier' ? property.key.name : property.key.type === 'StringLiteral' ? property.key.value : undefined;
    if (key === undefined) continue;
    const value = literalValue(property.value);
    if (value !== NOT_LITERAL) result[key] = value;
  }
  return result;
}

function literalValue(node: Node): unknown {
  const text = stringValue(node);
  if (text !== undefined) return text;
  switch (node.type) {
    case 'NumericLiteral':
    case 'BooleanLiteral':
      return node.value;
    case 'UnaryExpression':
      return node.operator === '-' && node.argument.type === 'NumericLiteral' ? -node.argument.value : NOT_LITERAL;
    case 'NullLiteral':
      return null;
    case 'ObjectExpression':
      return literalObject(node);
    case 'ArrayExpression': {
      const items = node.elements.map((e) => (e ? literalValue(e) : NOT_LITERAL));
      return items.includes(NOT_LITERAL) ? NOT_LITERAL : items;
    }
    default:
      return NOT_LITERAL;
  }
}
