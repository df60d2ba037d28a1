import { secretSetting } from '@flowkit/core/plugin';

/** The UI's settings (FLOWKIT_* names, from the environment or the profile). */
export const UiSettings = {
  /** The token `flowkit ui` asks for when `--auth-token` is not given (environment only: never in `ps`). */
  authToken: secretSetting('FLOWKIT_UI_AUTH_TOKEN'),
} as const;
