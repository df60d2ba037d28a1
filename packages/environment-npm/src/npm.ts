import { spawn } from 'node:child_process';
import { ConfigError, debugLogger } from '@flowkit/core/plugin';
import { commandLine } from '@flowkit/core/internal';

/** The lines of npm's output worth showing when it fails: its `npm error` lines, without the log file's. */
function npmErrors(output: string): string {
  const lines = output.split('\n').filter((line) => /^npm (error|ERR!)/.test(line) && !/A complete log|complete log of this run/.test(line));
  return lines.slice(0, 6).map((line) => line.replace(/^npm (error|ERR!) ?/, '')).join('; ');
}

/**
 * Runs npm in `cwd` (argv only, never a shell); throws a ConfigError that says what went wrong in the user's words:
 * a package or version the registry does not have, the registry unreachable, or npm's own message.
 */
export async function runNpm(npm: string, args: string[], cwd: string, what: string): Promise<void> {
  const argv = [npm, ...args, '--no-audit', '--no-fund', '--loglevel=error'];
  debugLogger('subcommand')?.(`${commandLine(argv)} (in ${cwd})`);
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new ConfigError(`Cannot run npm (${npm}) to build ${what}: ${error.code ?? error.message}.`, { hint: 'install npm, or set FLOWKIT_PACKAGES_NPM to its path' })),
    );
    child.once('close', (code) => resolve({ code, output }));
  });
  if (code === 0) return;
  const said = npmErrors(output) || output.trim().split('\n').slice(-3).join('; ');
  if (/E404|404 Not Found/.test(output)) throw new ConfigError(`${what}: the registry has no such package (npm: ${said}).`, { hint: 'check the package name in @packages' });
  if (/ETARGET|No matching version/.test(output)) throw new ConfigError(`${what}: no version matches (npm: ${said}).`, { hint: 'check the version in @packages; `npm view <package> versions` lists them' });
  if (/ENOTFOUND|ECONNREFUSED|EAI_AGAIN|ETIMEDOUT|ECONNRESET|network/i.test(output)) {
    throw new ConfigError(`${what}: the npm registry cannot be reached (npm: ${said}).`, { hint: 'check the network and npm\'s registry setting (`npm config get registry`)' });
  }
  throw new ConfigError(`${what}: npm failed with exit code ${code} (npm: ${said}).`, { hint: 'run again with FLOWKIT_DEBUG=subcommand to see the npm command' });
}
