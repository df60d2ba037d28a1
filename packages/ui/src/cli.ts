import { spawn } from 'node:child_process';
import { ConfigError, integer, loadConfig, numberOption, readOptions, serveUntilStopped, type CliExtension } from '@flowkit/core/plugin';
import { UiSettings } from './settings';

function uiOptions(args: Record<string, unknown>) {
  const host = String(args.host);
  if (host.trim() === '') throw new ConfigError('--host is empty.', { hint: 'e.g. --host 127.0.0.1' });
  const namespace = args.namespace as string | undefined;
  return {
    host,
    port: numberOption('port', args.port, integer(0, 65535), 'a port number from 0 to 65535', 8324) as number,
    authToken: (args['auth-token'] as string | undefined) || loadConfig().get(UiSettings.authToken) || undefined,
    datastore: args.datastore as string | undefined,
    datastoreRoot: args['datastore-root'] as string | undefined,
    metadata: args.metadata as string | undefined,
    namespace: namespace === undefined ? undefined : namespace === '' ? null : namespace,
    flowDir: process.cwd(),
  };
}

/** Opens the page in the desktop's browser; a machine without one only misses the convenience. */
function openBrowser(url: string): void {
  const [command, ...args] = process.platform === 'darwin' ? ['open', url] : process.platform === 'win32' ? ['cmd', '/c', 'start', '', url] : ['xdg-open', url];
  const child = spawn(command as string, args, { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`flowkit ui: could not open a browser; open ${url.split('?')[0]} yourself\n`));
  child.unref();
}

/** `flowkit ui`: serves until SIGTERM or Ctrl-C. */
async function serve(args: Record<string, unknown>): Promise<void> {
  const options = uiOptions(args);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} flowkit ui: ${line}\n`);
  await serveUntilStopped(async () => {
    // Loaded only here: the server and the client stay out of every other `flowkit` start.
    const { startUi } = require('./server') as typeof import('./server');
    const ui = await startUi({ ...options, log });
    const access = options.authToken ? ' (token required: open it with ?token=<token>)' : '';
    process.stdout.write(`flowkit ui: listening on ${ui.url}${access}; Ctrl-C stops it\n`);
    if (args.open) openBrowser(options.authToken ? `${ui.url}?token=${encodeURIComponent(options.authToken)}` : ui.url);
    return ui;
  });
}

export const uiCommand: CliExtension = {
  name: 'ui',
  register(cli) {
    cli.command(
      'ui',
      'Serve a read-only web page of flows, runs, their DAG, task logs and artifacts',
      (ui) =>
        Object.entries(readOptions)
          .reduce((options, [name, option]) => options.option(name, option), ui)
          .option('port', { requiresArg: true, default: 8324, describe: 'Port to listen on (0: any free port)' })
          .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on; beyond loopback --auth-token is required' })
          .option('auth-token', { type: 'string', describe: `Token every request must carry (default: ${UiSettings.authToken})` })
          .option('open', { type: 'boolean', default: false, describe: 'Open the page in your browser' }),
      serve,
    );
  },
};
