import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { dirname } from 'node:path';
import { constants, Script } from 'node:vm';

/**
 * `node bundleLoader.js <bundle> <task arguments>`: runs a task of a flow bundle as `node <bundle> ...`
 * would, but with V8's code cache kept beside the bundle (`<bundle>.cache`). Compiling the 2 MB bundle
 * was a third of a local task's CPU; with the cache a task reuses the bytecode the first tasks made,
 * including every function they ran. A missing or rejected cache (another node) is written anew.
 */
function runBundle(bundle: string): void {
  const cacheFile = `${bundle}.cache`;
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = new Script(wrap(readFileSync(bundle, 'utf8')), {
    filename: bundle,
    cachedData,
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written by hand rather than with core's writeFileAtomically: this file loads only node's builtins,
    // since the bundle brings its own copy of core.
    process.once('exit', () => {
      const temp = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cacheFile);
      } catch {
        // Only a speed-up: a task whose directory is read-only runs as well without it.
      }
    });
  }
  const module = { exports: {} as { runTask(): void } };
  const compiled = script.runInThisContext() as (...args: unknown[]) => void;
  compiled.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  module.exports.runTask();
}

// The task reads its arguments from argv[2] on, as it does when started as `node <bundle> ...`.
runBundle(process.argv.splice(2, 1)[0] as string);
