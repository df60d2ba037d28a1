/** The metadata service's settings (FLOWKIT_* names, from the environment or the profile). */
export const ServiceSettings = {
  /** Where the service listens, for `--metadata service`. */
  url: 'FLOWKIT_SERVICE_URL',
  /** Its bearer token (environment only, never logged). */
  authKey: 'FLOWKIT_SERVICE_AUTH_KEY',
  /** The PostgreSQL database `flowkit metadata-service start` uses when --database-url is not given. */
  databaseUrl: 'FLOWKIT_SERVICE_DATABASE_URL',
} as const;
