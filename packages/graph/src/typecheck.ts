import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as TypeScript from 'typescript';
import type { LintIssue } from './lint';

/** The nearest tsconfig.json at or above `dir`, as tsc finds it, but without loading TypeScript for a flow that has none. */
function findConfig(dir: string): string | undefined {
  const candidate = join(dir, 'tsconfig.json');
  if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
  return dirname(dir) === dir ? undefined : findConfig(dirname(dir));
}

/** Where `typescript` resolves from `paths`, or from FlowKit without them; undefined where it is not installed. */
function resolveTypeScript(paths?: string[]): string | undefined {
  try {
    return require.resolve('typescript', paths && { paths });
  } catch {
    return undefined;
  }
}

/**
 * The TypeScript the project itself has (what its editor and its own `tsc` check with), else the one installed beside
 * FlowKit (an optional peer dependency): a project on another TypeScript version gets the errors that version reports.
 * Loaded only here: reading the graph does not need it.
 */
function projectTypeScript(file: string): { ts: typeof TypeScript; where: string } | undefined {
  const own = resolveTypeScript([dirname(file)]);
  if (own) return { ts: require(own) as typeof TypeScript, where: `the project's, ${dirname(dirname(own))}` };
  const flowkits = resolveTypeScript();
  return flowkits ? { ts: require(flowkits) as typeof TypeScript, where: "FlowKit's" } : undefined;
}

/**
 * Type-checks the flow with the nearest tsconfig.json above it; none found means nothing to check. Without any
 * TypeScript installed there is nothing to check with: a note says so.
 */
export function typeCheck(file: string): LintIssue[] {
  const configPath = findConfig(dirname(file));
  if (!configPath) return [];
  const found = projectTypeScript(file);
  if (!found) {
    process.stderr.write(`Type check skipped: ${configPath} asks for one, but no TypeScript is installed (npm i -D typescript).\n`);
    return [];
  }
  const { ts, where } = found;
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
