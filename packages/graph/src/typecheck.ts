import { dirname } from 'node:path';
import * as bundledTs from 'typescript';
import type { LintIssue } from './lint';

type TypeScript = typeof bundledTs;

/**
 * The TypeScript the project itself has (what its editor and its own `tsc` check with), else FlowKit's: a project on
 * another TypeScript version gets the errors that version reports.
 */
function projectTypeScript(file: string): { ts: TypeScript; where: string } {
  let entry: string;
  try {
    entry = require.resolve('typescript', { paths: [dirname(file)] });
  } catch {
    return { ts: bundledTs, where: "FlowKit's" };
  }
  return { ts: require(entry) as TypeScript, where: `the project's, ${dirname(dirname(entry))}` };
}

/** Type-checks the flow with the nearest tsconfig.json above it; none found means nothing to check. */
export function typeCheck(file: string): LintIssue[] {
  const { ts, where } = projectTypeScript(file);
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
        hint: `fix the type error (tsconfig: ${configPath}; TypeScript ${ts.version}, ${where})`,
        file: d.file?.fileName ?? configPath,
        line: position.line + 1,
        column: position.character + 1,
      };
    });
}
