import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Settings, type Config } from './config';
import { debugLogger } from './debug';
import { PluginError } from './errors';
import { registry, type FlowKitPlugin } from './plugins';

/**
 * Finds plugin packages: every installed `@flowkit/*` or `flowkit-plugin-*` package whose package.json
 * says `"flowkit": { "plugin": true }`, looking in the node_modules above each start directory
 * (nearest first), plus the modules named in FLOWKIT_PLUGINS. Returns their entry modules' paths.
 * A package without its entry (not built) is left out and noted in the registry, so only a command that
 * looks for what it would provide fails, naming it.
 */
export function discoverPluginModules(startDirs: string[], config: Config): string[] {
  const byName = new Map<string, string>();
  const unloadable = new Map<string, string>();
  const log = debugLogger('plugins');
  for (const start of startDirs) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      for (const packageDir of candidatePackages(join(dir, 'node_modules'))) {
        const manifest = readManifest(packageDir);
        if (!manifest?.flowkit?.plugin || byName.has(manifest.name)) continue;
        try {
          // By name from where it is installed, so its `exports` map counts as it would for an import.
          byName.set(manifest.name, require.resolve(manifest.name, { paths: [dir] }));
          log?.(`found ${manifest.name} in ${join(dir, 'node_modules')}`);
        } catch {
          const entry = manifest.exports !== undefined ? `the entry its exports name in ${join(packageDir, 'package.json')}` : join(packageDir, manifest.main ?? 'index.js');
          if (!unloadable.has(manifest.name)) unloadable.set(manifest.name, `${entry} is missing`);
        }
      }
      if (dirname(dir) === dir) break;
    }
  }
  for (const [name, reason] of unloadable) {
    if (byName.has(name)) continue;
    log?.(`cannot load ${name}: ${reason}`);
    registry.addUnloadable(name, reason);
  }
  for (const specifier of (config.get(Settings.plugins) ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    try {
      byName.set(specifier, require.resolve(specifier, { paths: [process.cwd(), ...startDirs] }));
      log?.(`found ${specifier}, named in ${Settings.plugins}`);
    } catch {
      throw new PluginError(`Plugin '${specifier}' named in ${Settings.plugins} cannot be found.`, { hint: 'install it, or give the path to its entry module' });
    }
  }
  return [...byName.values()];
}

/**
 * Loads plugin modules into this process's registry; each must export `plugin`. The CLI and the client
 * both start here, so a plugin works the same from `flowkit` and from a script. Returns each module's plugin.
 */
export function usePlugins(modules: string[]): Array<{ module: string; plugin: FlowKitPlugin }> {
  const log = debugLogger('plugins');
  return modules.map((module) => {
    const { plugin } = require(module) as { plugin?: FlowKitPlugin };
    if (!plugin || typeof plugin.register !== 'function') {
      throw new PluginError(`Plugin module ${module} does not export \`plugin\`.`, { hint: 'export const plugin: FlowKitPlugin = { name, register(registry) { ... } }' });
    }
    registry.use(plugin);
    log?.(`loaded '${plugin.name}' from ${module}`);
    return { module, plugin };
  });
}

function candidatePackages(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry === '@flowkit') {
      for (const scoped of readdirSync(join(nodeModules, entry))) found.push(join(nodeModules, entry, scoped));
    } else if (entry.startsWith('@')) {
      // Another scope's plugins follow the naming rule: `@acme/flowkit-plugin-x`.
      for (const scoped of readdirSync(join(nodeModules, entry))) if (scoped.startsWith('flowkit-plugin-')) found.push(join(nodeModules, entry, scoped));
    } else if (entry.startsWith('flowkit-plugin-')) {
      found.push(join(nodeModules, entry));
    }
  }
  return found;
}

interface Manifest {
  name: string;
  main?: string;
  exports?: unknown;
  flowkit?: { plugin?: boolean };
}

function readManifest(packageDir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}
