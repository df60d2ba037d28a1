/** The version users see, from this package's manifest. */
export const VERSION: string = (require('../package.json') as { version: string }).version;
