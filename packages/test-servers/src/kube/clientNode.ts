import { runInThisContext } from 'node:vm';

export type KubernetesClient = typeof import('@kubernetes/client-node');

/**
 * `@kubernetes/client-node` 1.x is ESM-only. Node 20.19+ `require`s it natively, but jest's module registry
 * (ts-jest, CommonJS) cannot load ESM before Node 24.9 and refuses it. This loads the client with Node's own
 * loader instead: `runInThisContext` evaluates in Node's main context, outside jest's sandbox, where `process`
 * is the real one and its `node:module` resolves from this file as plain Node would. Outside jest it is simply
 * Node's require.
 *
 * The client's objects then come from the main context: `instanceof Error`/`Date` against the test's own
 * globals is false, so tests check fields (`code`, `body`, `getTime()`) rather than prototypes.
 */
export function loadKubernetesClient(): KubernetesClient {
  const host = runInThisContext('process') as NodeJS.Process & {
    getBuiltinModule(id: 'node:module'): typeof import('node:module');
  };
  return host.getBuiltinModule('node:module').createRequire(__filename)('@kubernetes/client-node') as KubernetesClient;
}
