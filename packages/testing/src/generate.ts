import { readFileSync } from 'node:fs';
import * as ts from 'typescript';
import { qualifiers, type GraphSpec } from './graphs';

/** One `@steps(...)` method of a template, as its source says. */
interface TemplateStep {
  name: string;
  priority: number;
  qualifiers: string[];
  required: boolean;
  /** Other decorators written on it (`@retry({ times: 2 })`), as source text. */
  decorators: string[];
  body: string;
}

export interface Template {
  name: string;
  file: string;
  steps: TemplateStep[];
  /** The flow's fields (Parameter(...) and constants: every field not marked `override`), as source text. */
  fields: string[];
  /** Class decorators (flow decorators), as source text. */
  classDecorators: string[];
  /** Named imports by module, as the flow needs them (the template's `../assert` is the package's). */
  imports: Map<string, Set<string>>;
  /** Top-level declarations the bodies use (helper classes, constants), as source text. */
  preamble: string[];
}

/** What every generated flow imports, whatever its template imports. */
const BASE_IMPORTS: Array<[string, string[]]> = [
  ['@flowkit/core', ['FlowSpec', 'step', 'current', 'Parameter', 'retry', 'catchError', 'timeout', 'environment', 'resources', 'type Inputs']],
  ['@flowkit/testing/dist/assert', ['assertEquals', 'assertTrue', 'assertThrows', 'isResumed', 'ResumeFromHere']],
];

/**
 * The template's imports the flow needs too: from @flowkit/core (and /plugin), @flowkit/client, node's own modules and
 * `../assert`; anything else (other templates, harness types) is for checkResults only.
 */
function flowImports(source: ts.SourceFile): Map<string, Set<string>> {
  const imports = new Map(BASE_IMPORTS.map(([module, names]) => [module, new Set(names)]));
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const from = statement.moduleSpecifier.text;
    if (!['@flowkit/core', '@flowkit/core/plugin', '@flowkit/client', '../assert'].includes(from) && !from.startsWith('node:')) continue;
    const module = from === '../assert' ? '@flowkit/testing/dist/assert' : from;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) throw new Error(`${source.fileName}: templates use named imports only (${statement.getText()})`);
    const names = imports.get(module) ?? new Set<string>();
    for (const element of bindings.elements) {
      const name = element.getText();
      if (!names.has(name.replace(/^type /, ''))) names.add(name);
    }
    imports.set(module, names);
  }
  return imports;
}

/** Reads a template's step bodies from its TypeScript source (they are spliced, never run, in the harness). */
export function readTemplate(file: string, name: string): Template {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const isTemplate = (s: ts.Statement): s is ts.ClassDeclaration =>
    ts.isClassDeclaration(s) && (ts.getModifiers(s) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
  const cls = source.statements.find(isTemplate);
  if (!cls) throw new Error(`${file}: no \`export default class\` template`);
  const preamble = source.statements.filter((s) => s !== cls && !ts.isImportDeclaration(s)).map((s) => s.getText());
  const steps: TemplateStep[] = [];
  const fields: string[] = [];
  for (const member of cls.members) {
    const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
    if (ts.isPropertyDeclaration(member) && member.initializer && !modifiers.some((m) => m.kind === ts.SyntaxKind.OverrideKeyword)) {
      fields.push(member.getText().replace(/^(?:public |readonly )+/, ''));
    }
    if (!ts.isMethodDeclaration(member) || !member.body) continue;
    const decorators = ts.getDecorators(member) ?? [];
    const marker = decorators.find((d) => ts.isCallExpression(d.expression) && d.expression.expression.getText() === 'steps');
    if (!marker) continue;
    const [priority, quals, options] = (marker.expression as ts.CallExpression).arguments;
    steps.push({
      name: member.name.getText(),
      priority: Number(priority?.getText()),
      qualifiers: (quals as ts.ArrayLiteralExpression).elements.map((e) => (e as ts.StringLiteral).text),
      required: options?.getText().includes('required: true') ?? false,
      decorators: decorators.filter((d) => d !== marker).map((d) => d.getText()),
      body: member.body.statements.map((s) => s.getText()).join('\n    '),
    });
  }
  const classDecorators = (ts.getDecorators(cls) ?? []).map((d) => d.getText());
  return { name, file, steps, fields, classDecorators, imports: flowImports(source), preamble };
}

/** For each step of the graph, the template method that supplies its body (lowest priority among matches). */
export function assignBodies(graph: GraphSpec, template: Template): Map<string, TemplateStep | undefined> | undefined {
  const quals = qualifiers(graph);
  const chosen = new Map<string, TemplateStep | undefined>();
  for (const step of Object.keys(graph.steps)) {
    const matches = template.steps.filter((t) => t.qualifiers.some((q) => quals.get(step)?.has(q)));
    chosen.set(step, matches.sort((a, b) => a.priority - b.priority)[0]);
  }
  const used = new Set([...chosen.values()]);
  // A test whose required body has no step to go to does not apply to this graph.
  return template.steps.some((t) => t.required && !used.has(t)) ? undefined : chosen;
}

export function flowClassName(graph: GraphSpec, template: Template): string {
  const pascal = (text: string) => text.replace(/(^|[-_ ])(\w)/g, (_, __, c: string) => c.toUpperCase());
  return `${pascal(template.name)}${pascal(graph.name)}Flow`;
}

/** The flow's TypeScript source: the graph's steps with the template's bodies and the graph's transitions. */
export function generateFlow(graph: GraphSpec, template: Template, bodies: Map<string, TemplateStep | undefined>): string {
  const lines = [
    `// Generated by @flowkit/testing: graph ${graph.name}, test ${template.name}.`,
    ...[...template.imports].map(([module, names]) => `import { ${[...names].join(', ')} } from '${module}';`),
    ...template.preamble,
    '',
    ...template.classDecorators,
    `export default class ${flowClassName(graph, template)} extends FlowSpec {`,
    '  [key: string]: any;',
    ...template.fields.map((f) => `  ${f}`),
  ];
  for (const [name, spec] of Object.entries(graph.steps)) {
    const chosen = bodies.get(name);
    const targets = (spec.next ?? []).map((n) => `this.${n}`).join(', ');
    const transition = spec.foreach ? [`this.next(${targets}, { foreach: '${spec.foreach.var}' });`] : targets ? [`this.next(${targets});`] : [];
    lines.push(
      '',
      `  ${[...(chosen?.decorators ?? []), '@step'].join(' ')} async ${name}(${spec.join ? 'inputs: Inputs<any>' : ''}) {`,
      // The graph's foreach items come first, so a body can replace them.
      ...(spec.foreach ? [`    this.${spec.foreach.var} = Array.from({ length: ${spec.foreach.items} }, (_, i) => i);`] : []),
      ...(chosen ? [`    ${chosen.body}`] : []),
      ...transition.map((t) => `    ${t}`),
      '  }',
    );
  }
  lines.push('}', '');
  return lines.join('\n');
}
