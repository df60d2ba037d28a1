import { build } from 'esbuild';
import { REPO_ROOT } from '../helpers/flowkit';

/**
 * What a user's bundle of FlowKit's libraries carries: the client (and core under it) must not pull in the CLI,
 * TypeScript, esbuild or yargs, which `main()` reaches only at run time from the flow file's installation.
 */
test('bundling @flowkit/client carries neither the CLI nor its tools', async () => {
  const result = await build({
    stdin: { contents: "module.exports = require('@flowkit/client');", resolveDir: REPO_ROOT, loader: 'js' },
    bundle: true,
    platform: 'node',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((input) => /node_modules\/(typescript|esbuild|yargs)\/|packages\/(cli|graph|runtime)\//.test(input))).toEqual([]);
  expect(inputs.some((input) => input.includes('packages/client/'))).toBe(true);
  expect(result.outputFiles[0]!.contents.byteLength).toBeLessThan(1_000_000);
});
