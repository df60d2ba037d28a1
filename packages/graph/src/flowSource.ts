import * as ts from 'typescript';
import { FlowDefinitionError, type DecoratorSpec } from '@flowkit/core/plugin';
import { locateNode } from './source';

/** A `this.next(...)` call as written. */
export interface NextCall {
  node: ts.CallExpression;
  /** `this.<name>` targets; undefined where an argument is not of that form. */
  targets: Array<{ name: string | undefined; node: ts.Expression }>;
  /** The options object, when the last argument is an object literal. */
  options?: ts.ObjectLiteralExpression;
}

/** One `@step` method as the source writes it. */
export interface StepSource {
  name: string;
  method: ts.MethodDeclaration;
  nameNode: ts.Node;
  parameters: readonly ts.ParameterDeclaration[];
  decorators: Array<{ spec: DecoratorSpec; node: ts.Decorator }>;
  doc?: string;
  /** Every this.next() call in the body, nested ones included. */
  nextCalls: NextCall[];
  /** The call when it is the body's last statement. */
  lastNext?: NextCall;
}

/** The flow class as the source writes it: what the graph and lint rules are built from. */
export interface FlowSource {
  className: string;
  nameNode: ts.Node;
  doc?: string;
  decorators: DecoratorSpec[];
  steps: Map<string, StepSource>;
  /** Names assigned as `this.x = ...` anywhere in the class, or declared as fields. */
  artifacts: Set<string>;
  /** Every `this.x = ...` assignment, for the reserved-name rule. */
  assignments: Array<{ name: string; node: ts.Node }>;
}

/** Names bound to FlowKit's exports in this file: `FlowSpec`, `step`, aliased or through a namespace import. */
interface Bindings {
  flowSpec: Set<string>;
  step: Set<string>;
  namespaces: Set<string>;
}

function importBindings(source: ts.SourceFile): Bindings {
  const bindings: Bindings = { flowSpec: new Set(), step: new Set(), namespaces: new Set() };
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement)) continue;
    const bound = statement.importClause?.namedBindings;
    if (bound && ts.isNamespaceImport(bound)) bindings.namespaces.add(bound.name.text);
    if (bound && ts.isNamedImports(bound)) {
      for (const element of bound.elements) {
        const imported = (element.propertyName ?? element.name).text;
        if (imported === 'FlowSpec') bindings.flowSpec.add(element.name.text);
        if (imported === 'step') bindings.step.add(element.name.text);
      }
    }
  }
  return bindings;
}

/** Whether an expression names an export (`FlowSpec`, `fk.FlowSpec`) under the file's bindings. */
function refersTo(expression: ts.Expression, local: Set<string>, exported: string, bindings: Bindings): boolean {
  if (ts.isIdentifier(expression)) return local.has(expression.text);
  return (
    ts.isPropertyAccessExpression(expression) &&
    ts.isIdentifier(expression.expression) &&
    bindings.namespaces.has(expression.expression.text) &&
    expression.name.text === exported
  );
}

function baseClassName(node: ts.ClassDeclaration): ts.Expression | undefined {
  const heritage = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword);
  return heritage?.types[0]?.expression;
}

/** Finds the one flow class of the file: the FlowSpec subclass no other class in the file extends. */
export function readFlowSource(source: ts.SourceFile): FlowSource {
  const bindings = importBindings(source);
  const classes = new Map<string, ts.ClassDeclaration>();
  source.forEachChild(function visit(node) {
    if (ts.isClassDeclaration(node) && node.name) classes.set(node.name.text, node);
    node.forEachChild(visit);
  });
  const isFlow = (node: ts.ClassDeclaration, seen = new Set<string>()): boolean => {
    const base = baseClassName(node);
    if (!base) return false;
    if (refersTo(base, bindings.flowSpec, 'FlowSpec', bindings)) return true;
    const parent = ts.isIdentifier(base) ? classes.get(base.text) : undefined;
    return parent !== undefined && !seen.has(base.getText()) && isFlow(parent, new Set([...seen, base.getText()]));
  };
  const flows = [...classes.values()].filter((c) => isFlow(c));
  const extended = new Set(flows.map((c) => baseClassName(c)?.getText()));
  const leaves = flows.filter((c) => !extended.has(c.name?.text));
  if (leaves.length === 0) {
    throw new FlowDefinitionError(`${source.fileName} defines no class that extends FlowSpec.`, {
      hint: "write `export default class MyFlow extends FlowSpec { ... }` with FlowSpec imported from '@flowkit/core'",
    });
  }
  if (leaves.length > 1) {
    const [, second] = leaves as [ts.ClassDeclaration, ts.ClassDeclaration];
    throw new FlowDefinitionError(`${source.fileName} defines ${leaves.length} flows (${leaves.map((c) => c.name?.text).join(', ')}); a flow file holds one.`, {
      location: locateNode(second.name ?? second),
      hint: 'move each flow to its own file',
    });
  }
  const flowClass = leaves[0] as ts.ClassDeclaration;
  const lineage: ts.ClassDeclaration[] = [];
  for (let c: ts.ClassDeclaration | undefined = flowClass; c && isFlow(c); ) {
    lineage.unshift(c);
    const base = baseClassName(c);
    c = base && ts.isIdentifier(base) ? classes.get(base.text) : undefined;
  }

  const steps = new Map<string, StepSource>();
  const artifacts = new Set<string>();
  const assignments: FlowSource['assignments'] = [];
  for (const cls of lineage) {
    for (const member of cls.members) {
      if ((ts.isPropertyDeclaration(member) || ts.isPropertySignature(member)) && member.name && ts.isIdentifier(member.name)) {
        artifacts.add(member.name.text);
      }
      if (ts.isMethodDeclaration(member) && ts.isIdentifier(member.name)) {
        const decorators = ts.getDecorators(member) ?? [];
        if (decorators.some((d) => isStepDecorator(d, bindings))) steps.set(member.name.text, readStep(member, member.name, decorators, bindings));
        else steps.delete(member.name.text);
      }
    }
    cls.forEachChild(function visit(node) {
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && isThisAccess(node.left)) {
        const name = (node.left as ts.PropertyAccessExpression).name.text;
        artifacts.add(name);
        assignments.push({ name, node: node.left });
      }
      node.forEachChild(visit);
    });
  }
  return {
    className: flowClass.name?.text ?? 'Flow',
    nameNode: flowClass.name ?? flowClass,
    doc: docOf(flowClass),
    decorators: (ts.getDecorators(flowClass) ?? []).map((d) => decoratorSpec(d)).filter((s): s is DecoratorSpec => s !== undefined),
    steps,
    artifacts,
    assignments,
  };
}

function isStepDecorator(decorator: ts.Decorator, bindings: Bindings): boolean {
  return refersTo(decorator.expression, bindings.step, 'step', bindings);
}

function isThisAccess(node: ts.Node): node is ts.PropertyAccessExpression {
  return ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword;
}

function readStep(method: ts.MethodDeclaration, nameNode: ts.Identifier, decorators: readonly ts.Decorator[], bindings: Bindings): StepSource {
  const nextCalls: NextCall[] = [];
  method.body?.forEachChild(function visit(node) {
    if (ts.isCallExpression(node) && isThisAccess(node.expression) && node.expression.name.text === 'next') nextCalls.push(readNext(node));
    node.forEachChild(visit);
  });
  const last = method.body?.statements[method.body.statements.length - 1];
  const lastCall = last && ts.isExpressionStatement(last) ? unwrapAwait(last.expression) : undefined;
  return {
    name: nameNode.text,
    method,
    nameNode,
    parameters: method.parameters,
    decorators: decorators
      .filter((d) => !isStepDecorator(d, bindings))
      .map((node) => ({ spec: decoratorSpec(node), node }))
      .filter((d): d is { spec: DecoratorSpec; node: ts.Decorator } => d.spec !== undefined),
    doc: docOf(method),
    nextCalls,
    lastNext: nextCalls.find((call) => call.node === lastCall),
  };
}

function unwrapAwait(expression: ts.Expression): ts.Expression {
  return ts.isAwaitExpression(expression) ? expression.expression : expression;
}

function readNext(node: ts.CallExpression): NextCall {
  const args = [...node.arguments];
  const lastArg = args[args.length - 1];
  const options = lastArg && ts.isObjectLiteralExpression(lastArg) ? (args.pop() as ts.ObjectLiteralExpression) : undefined;
  return {
    node,
    options,
    targets: args.map((arg) => ({ name: isThisAccess(arg) ? arg.name.text : undefined, node: arg })),
  };
}

/** A decorator's name and its literal attributes (`@retry({ times: 2 })`); non-literal values are left out. */
function decoratorSpec(decorator: ts.Decorator): DecoratorSpec | undefined {
  const expression = decorator.expression;
  const callee = ts.isCallExpression(expression) ? expression.expression : expression;
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
  if (!name) return undefined;
  const first = ts.isCallExpression(expression) ? expression.arguments[0] : undefined;
  const attributes = first && ts.isObjectLiteralExpression(first) ? literalObject(first) : {};
  return { name, attributes };
}

const NOT_LITERAL = Symbol('not literal');

function literalObject(node: ts.ObjectLiteralExpression): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const property of node.properties) {
    if (!ts.isPropertyAssignment(property) || !(ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) continue;
    const value = literalValue(property.initializer);
    if (value !== NOT_LITERAL) result[property.name.text] = value;
  }
  return result;
}

function literalValue(node: ts.Expression): unknown {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(node.operand)) return -Number(node.operand.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isObjectLiteralExpression(node)) return literalObject(node);
  if (ts.isArrayLiteralExpression(node)) {
    const items = node.elements.map((e) => literalValue(e));
    return items.includes(NOT_LITERAL) ? NOT_LITERAL : items;
  }
  return NOT_LITERAL;
}

function docOf(node: ts.Node): string | undefined {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const text = docs.map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '').join('\n').trim();
  return text === '' ? undefined : text;
}
