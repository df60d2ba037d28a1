export { cliMain, runFlowFile } from './main';
