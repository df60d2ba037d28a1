import Module, { isBuiltin } from 'node:module';

/**
 * The variable that gives a task process its step's environment (`--environment`): JSON of `ModuleScope`.
 * Without it (the CLI loading the bundle for the flow's class), imports resolve from the flow's directory.
 */
export const MODULE_SCOPE_VAR = 'FLOWKIT_STEP_MODULES';

export interface ModuleScope {
  step: string;
  /** A directory whose node_modules holds the step's packages. */
  dir: string;
  /** The packages the step may import. */
  names: string[];
  /** How to declare a package (the environment manager's words). */
  declareHint: string;
}

type Resolve = (request: string, parent: NodeJS.Module | undefined, isMain: boolean, options?: { paths?: string[] }) => string;

/**
 * Resolves the packages a bundle built with scoped imports leaves out (`import x from 'pkg'` in the flow's own
 * code) from the step's environment, and refuses a package the step did not declare, even one the project has:
 * a flow cannot pass here by accident and fail where only the environment exists. Installed by the bundle's first
 * line; packages importing their own dependencies resolve as usual, inside the environment.
 */
export function scopeModules(bundleFile: string, flowDir: string): void {
  const text = process.env[MODULE_SCOPE_VAR];
  const scope = text ? (JSON.parse(text) as ModuleScope) : undefined;
  const moduleInternals = Module as unknown as { _resolveFilename: Resolve };
  const resolve = moduleInternals._resolveFilename;
  moduleInternals._resolveFilename = function (request, parent, isMain, options) {
    if (parent?.filename !== bundleFile || !isPackageRequest(request)) return resolve.call(this, request, parent, isMain, options);
    if (!scope) return resolve.call(this, request, parent, isMain, { paths: [flowDir] });
    const name = packageName(request);
    if (!scope.names.includes(name)) {
      const error = new Error(
        `Step '${scope.step}' imports '${name}', which its environment does not have (it has ${scope.names.length ? scope.names.join(', ') : 'no package'}). ` +
          `${scope.declareHint.replace('<name>', name)}; an import at the top of the flow file is loaded by every step: import a package one step uses inside it (await import('${name}')).`,
      );
      Object.assign(error, { code: 'MODULE_NOT_FOUND' });
      throw error;
    }
    return resolve.call(this, request, parent, isMain, { paths: [scope.dir] });
  };
}

/** A bare import of a package (`lodash`, `@scope/pkg/sub`), not a file, a builtin or FlowKit itself. */
export function isPackageRequest(request: string): boolean {
  return !/^[./]/.test(request) && !isBuiltin(request) && !request.startsWith('@flowkit/') && !request.startsWith('flowkit-plugin-');
}

function packageName(request: string): string {
  const parts = request.split('/');
  return request.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}
