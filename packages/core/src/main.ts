import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { FlowSpec } from './flowspec';

const LOADING_BUNDLE = Symbol.for('flowkit.loadingFlowBundle');
const MAIN_CLASS = Symbol.for('flowkit.mainClass');

/**
 * Lets a flow file run itself: end it with `main(MyFlow)` and `npx tsx flow.ts run` (or `node flow.js
 * run`) behaves as `flowkit run flow.ts`. When FlowKit itself loads the flow, it only notes the class
 * (so it need not be exported).
 */
export function main(flowClass: abstract new () => FlowSpec): void {
  const globals = globalThis as Record<symbol, unknown>;
  if (globals[LOADING_BUNDLE]) {
    globals[MAIN_CLASS] = flowClass;
    return;
  }
  const file = process.argv[1];
  if (!file) throw new Error('main() needs the flow file as the script node runs.');
  // The CLI depends on core, so core reaches it at run time, from the installation the flow file sees. Through
  // createRequire, which bundlers do not follow: bundling core (or the client) must not pull in the CLI.
  const cli = createRequire(resolve(file))('@flowkit/cli') as { runFlowFile(file: string, args: string[]): Promise<number> };
  void cli.runFlowFile(file, process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
