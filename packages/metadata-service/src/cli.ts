import { ConfigError, integer, loadConfig, numberOption, positive, serveUntilStopped, type CliExtension, type CommandLine } from '@flowkit/core/plugin';
import { ServiceSettings } from './settings';

function startOptions(args: Record<string, unknown>) {
  const config = loadConfig();
  const databaseUrl = (args['database-url'] as string | undefined) ?? config.get(ServiceSettings.databaseUrl);
  if (!databaseUrl) {
    throw new ConfigError('The metadata service needs a PostgreSQL database.', { hint: `pass --database-url postgres://user:password@host:5432/db, or set ${ServiceSettings.databaseUrl}` });
  }
  const port = numberOption('port', args.port, integer(0, 65535), 'a port number from 0 to 65535', 8080) as number;
  const heartbeatTimeoutSeconds = numberOption('heartbeat-timeout', args['heartbeat-timeout'], positive, 'a positive number of seconds', 60) as number;
  return {
    databaseUrl,
    port,
    host: args.host as string,
    authToken: (args['auth-token'] as string | undefined) ?? config.get(ServiceSettings.authKey),
    heartbeatTimeoutSeconds,
  };
}

/** `flowkit metadata-service start`: serves until SIGTERM or Ctrl-C, then finishes the requests in flight and stops. */
async function start(args: Record<string, unknown>): Promise<void> {
  const options = startOptions(args);
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} metadata-service: ${line}\n`);
  await serveUntilStopped(
    () => {
      // Loaded only here: PostgreSQL's driver is for the service, not for every `flowkit` start or task process.
      const { startService } = require('./server') as typeof import('./server');
      return startService({ ...options, log });
    },
    () => log('shutting down'),
  );
}

export const metadataServiceCli: CliExtension = {
  name: 'metadata-service',
  register(cli) {
    cli.command(
      'metadata-service',
      'Run the shared metadata service (HTTP on PostgreSQL) that `--metadata service` talks to',
      (sub) =>
        sub
          .command(
            'start',
            'Migrate the schema, then serve until SIGTERM or Ctrl-C',
            (options) =>
              options
                .option('database-url', { type: 'string', describe: `PostgreSQL URL (default: ${ServiceSettings.databaseUrl})` })
                .option('port', { requiresArg: true, default: 8080, describe: 'Port to listen on (0: any free port)' })
                .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on; beyond loopback a token is required' })
                .option('auth-token', { type: 'string', describe: `Bearer token clients must send (default: ${ServiceSettings.authKey})` })
                .option('heartbeat-timeout', { requiresArg: true, default: 60, describe: 'Seconds without heartbeat before a run or task is marked failed' }),
            start,
          )
          .demandCommand(1, 'Name a subcommand: flowkit metadata-service start'),
    );
  },
};
