import { hostSetting, secretSetting } from '@flowkit/core/plugin';

/** The metadata service's settings (FLOWKIT_* names, from the environment or the profile). */
export const ServiceSettings = {
  /** Where the service listens, for `--metadata service`. */
  url: 'FLOWKIT_SERVICE_URL',
  /** Its bearer token (environment only, never logged): a remote task gets it only by reference. */
  authKey: secretSetting('FLOWKIT_SERVICE_AUTH_KEY'),
  /** The PostgreSQL database `flowkit metadata-service start` uses when --database-url is not given: the service's, never a task's. */
  databaseUrl: hostSetting('FLOWKIT_SERVICE_DATABASE_URL'),
} as const;
