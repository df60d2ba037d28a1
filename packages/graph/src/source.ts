import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import * as ts from 'typescript';
import { FlowDefinitionError } from '@flowkit/core';
import type { SourceLocation } from '@flowkit/core/internal';

const SCRIPT_KINDS: Record<string, ts.ScriptKind> = {
  '.ts': ts.ScriptKind.TS,
  '.mts': ts.ScriptKind.TS,
  '.cts': ts.ScriptKind.TS,
  '.tsx': ts.ScriptKind.TSX,
  '.js': ts.ScriptKind.JS,
  '.mjs': ts.ScriptKind.JS,
  '.cjs': ts.ScriptKind.JS,
  '.jsx': ts.ScriptKind.JSX,
};

/** Reads and parses a flow file, refusing files that are missing, of another language, or do not parse. */
export function parseSource(file: string): ts.SourceFile {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new FlowDefinitionError(`Flow file ${file} does not exist.`, { hint: 'give the path of a .ts or .js file that defines a FlowSpec subclass' });
  }
  const kind = SCRIPT_KINDS[extname(path)];
  if (kind === undefined) {
    throw new FlowDefinitionError(`Flow file ${file} is not TypeScript or JavaScript.`, {
      hint: `write the flow in a ${Object.keys(SCRIPT_KINDS).join(', ')} file`,
    });
  }
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true, kind);
  // The parser records syntax errors on the source file; only the first is worth showing.
  const [first] = (source as unknown as { parseDiagnostics: ts.DiagnosticWithLocation[] }).parseDiagnostics;
  if (first) {
    const location = locate(source, first.start);
    throw new FlowDefinitionError(`${location.file}:${location.line}:${location.column}: syntax error: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}`, {
      location,
      hint: 'fix the syntax; your editor or `npx tsc --noEmit` shows it too',
    });
  }
  return source;
}

/** 1-based line and column of a position in a source file. */
export function locate(source: ts.SourceFile, position: number): SourceLocation {
  const { line, character } = source.getLineAndCharacterOfPosition(position);
  return { file: source.fileName, line: line + 1, column: character + 1 };
}

/** Location of a node's first character (not of the whitespace or comments before it). */
export function locateNode(node: ts.Node): SourceLocation {
  return locate(node.getSourceFile(), node.getStart());
}
