import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse, type ParseError, type ParserPlugin } from '@babel/parser';
import type { File, Node, Program } from '@babel/types';
import { FlowDefinitionError } from '@flowkit/core';
import type { SourceLocation } from '@flowkit/core/internal';

/** A parsed flow file: its text, its statements and where its comments are. */
export interface Source {
  fileName: string;
  text: string;
  program: Program;
  comments: Array<{ start: number; end: number }>;
}

/**
 * The plugins each extension parses with besides `typescript`: as with TypeScript's own parser, types parse in every
 * file, and JSX in every file but .ts ones (where `<T>x` is a type assertion).
 */
const LANGUAGES: Record<string, ParserPlugin[]> = {
  '.ts': [],
  '.mts': [],
  '.cts': [],
  '.tsx': ['jsx'],
  '.js': ['jsx'],
  '.mjs': ['jsx'],
  '.cjs': ['jsx'],
  '.jsx': ['jsx'],
};

/**
 * experimentalDecorators' syntax first (parameter decorators, any decorator expression), then TC39's (`export @dec
 * class`): a flow parses under the one it is written for.
 */
const DECORATORS: ParserPlugin[] = ['decorators-legacy', 'decorators'];

/** Reads and parses a flow file, refusing files that are missing, of another language, or do not parse. */
export function parseSource(file: string): Source {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new FlowDefinitionError(`Flow file ${file} does not exist.`, { hint: 'give the path of a .ts or .js file that defines a FlowSpec subclass' });
  }
  const language = LANGUAGES[extname(path)];
  if (language === undefined) {
    throw new FlowDefinitionError(`Flow file ${file} is not TypeScript or JavaScript.`, {
      hint: `write the flow in a ${Object.keys(LANGUAGES).join(', ')} file`,
    });
  }
  const text = readFileSync(path, 'utf8');
  const { program, comments } = parseText(path, text, language);
  return { fileName: path, text, program, comments: (comments ?? []).map((c) => ({ start: c.start as number, end: c.end as number })) };
}

/**
 * Parses under each decorator syntax in turn; when neither takes the file, the error of the one that read further (of
 * TC39's on a tie, whose messages say where decorators may go).
 */
function parseText(path: string, text: string, language: ParserPlugin[]): File {
  const errors: ParseError[] = [];
  for (const decorators of DECORATORS) {
    try {
      const ast = parse(text, {
        sourceType: 'module',
        sourceFilename: path,
        plugins: ['typescript', ...language, decorators, 'decoratorAutoAccessors', 'deprecatedImportAssert'],
        // As TypeScript's tree has them: `(this.next)(...)` is not a this.next() call.
        createParenthesizedExpressions: true,
        attachComment: false,
        errorRecovery: true,
      });
      // TypeScript's own rules (modifiers, abstract members, ...) are for its type check to report, as they were; what
      // else the parser got past is JavaScript that no runtime takes.
      const error = ast.errors?.find((e) => e.syntaxPlugin !== 'typescript');
      if (error) throw error;
      return ast;
    } catch (error) {
      errors.push(error as ParseError);
    }
  }
  const furthest = errors.reduce((a, b) => (b.pos >= a.pos ? b : a));
  const location = { file: path, line: furthest.loc.line, column: furthest.loc.column + 1 };
  // The parser's message ends with the position, which the location gives already.
  throw new FlowDefinitionError(`${location.file}:${location.line}:${location.column}: syntax error: ${furthest.message.replace(/ \(\d+:\d+\)$/, '')}`, {
    location,
    hint: 'fix the syntax; your editor or `npx tsc --noEmit` shows it too',
  });
}

/** The node's text as written. */
export function textOf(source: Source, node: Node): string {
  return source.text.slice(node.start as number, node.end as number);
}

/** 1-based line and column of a node's first character; a decorated parameter starts at its first decorator. */
export function locateNode(node: Node): SourceLocation {
  const first = ('decorators' in node && node.decorators?.[0]) || node;
  const loc = first.loc as NonNullable<Node['loc']>;
  return { file: loc.filename, line: loc.start.line, column: loc.start.column + 1 };
}
