import { PluginError, makeFlowDecorator, makeStepDecorator, type FlowDecorator, type FlowKitPlugin, type StepDecorator } from '@flowkit/core/plugin';

/*
 * What a task of a run with `@packages` steps loads in place of the package: the decorators and their checks,
 * without npm or the environment cache (a flow's `import { packages } from '@flowkit/environment-npm'` resolves here).
 */

/** npm package name -> version or range (`'3.0.0'`, `'^4.17.0'`; also anything npm takes: `npm:other@1`, a tarball). */
export type PackageVersions = Record<string, string>;

/**
 * `@packages({ 'fast-levenshtein': '3.0.0' })`: the npm packages the step imports, resolved once when the run
 * starts and installed in an environment of the step's own (`--environment packages`).
 */
export const packages = makeStepDecorator<PackageVersions>('packages');
/** `@packagesBase({ ... })` on the flow class: packages every step gets; a step's own `@packages` win. */
export const packagesBase = makeFlowDecorator<PackageVersions>('packagesBase');

/** npm's rules for a package name: lower case, URL-safe, at most 214 characters, optionally scoped. */
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** Checks `{ name: version }` pairs: a name npm would accept, a version or range as text. */
export function checkPackageVersions(decorator: string, attributes: Record<string, unknown>): PackageVersions {
  for (const [name, version] of Object.entries(attributes)) {
    if (!PACKAGE_NAME.test(name) || name.length > 214) {
      throw new PluginError(`@${decorator}: '${name}' is not an npm package name.`, { hint: "names are lower case, like 'lodash' or '@scope/name'" });
    }
    if (typeof version !== 'string' || version.trim() === '' || /[\s\0]/.test(version)) {
      throw new PluginError(`@${decorator}: the version of '${name}' is ${JSON.stringify(version)}, not a version or range.`, { hint: `e.g. @${decorator}({ '${name}': '1.2.3' }) or '^1.2.0'` });
    }
  }
  return attributes as PackageVersions;
}

export const packagesChecks = {
  name: 'packages',
  validate: (attributes) => checkPackageVersions('packages', attributes),
  // After the flow's @packagesBase: the step's own versions win.
  onLaunch(attributes, plan) {
    plan.packages = { ...plan.packages, ...(attributes as PackageVersions) };
  },
} satisfies StepDecorator;

export const packagesBaseChecks = {
  name: 'packagesBase',
  validate: (attributes) => checkPackageVersions('packagesBase', attributes),
  onLaunch(attributes, _step, plan) {
    plan.packages = { ...(attributes as PackageVersions), ...plan.packages };
  },
} satisfies FlowDecorator;

export const plugin: FlowKitPlugin = {
  name: '@flowkit/environment-npm',
  register(registry) {
    registry.addStepDecorator(packagesChecks).addFlowDecorator(packagesBaseChecks);
  },
};
