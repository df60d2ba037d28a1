export { cliMain, runFlowFile } from './main';
export { prepareFlow } from './flow';
export type { RunChoices } from './flow';
