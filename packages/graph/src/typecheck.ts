import { dirname } from 'node:path';
import * as ts from 'typescript';
import type { LintIssue } from './lint';

/** Type-checks the flow with the nearest tsconfig.json above it; none found means nothing to check. */
export function typeCheck(file: string): LintIssue[] {
  const configPath = ts.findConfigFile(dirname(file), ts.sys.fileExists);
  if (!configPath) return [];
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, { noEmit: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!parsed) return [];
  // Check only: the project's build settings (rootDir, composite, emit) have nothing to say about one flow file.
  const options = { ...parsed.options, noEmit: true, rootDir: undefined, composite: false, incremental: false, declaration: false, declarationMap: false, tsBuildInfoFile: undefined };
  const program = ts.createProgram({ rootNames: [file], options });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => {
      const position = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
      return {
        rule: 'typescript',
        message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
        hint: `fix the type error (tsconfig: ${configPath})`,
        file: d.file?.fileName ?? configPath,
        line: position.line + 1,
        column: position.character + 1,
      };
    });
}
