import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** One published version: its manifest as the registry serves it, and its tarball. */
interface PublishedVersion {
  manifest: Record<string, unknown>;
  tarball: Buffer;
}

/**
 * An npm registry on a local port, for the real `npm` client (`--registry`, `npm_config_registry`): it serves
 * packuments (`GET /<name>`, scoped names URL-encoded) and tarballs (`GET /<name>/-/<file>.tgz`) of the versions a
 * test publishes, each packed by `npm pack` from files the test gives. It counts the requests it answers.
 */
export class NpmRegistryTestServer {
  private readonly packages = new Map<string, Map<string, PublishedVersion>>();
  /** Requests answered so far, as `METHOD path`. */
  readonly requests: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<NpmRegistryTestServer> {
    let registry: NpmRegistryTestServer | undefined;
    const server = createServer((request, response) => registry?.answer(request.method ?? 'GET', request.url ?? '/', response) ?? response.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registry = new NpmRegistryTestServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return registry;
  }

  /** The variables that point npm at this registry, with a cache of its own (no other registry's tarballs). */
  env(npmCacheDir: string): Record<string, string> {
    return { npm_config_registry: this.url, npm_config_cache: npmCacheDir, npm_config_update_notifier: 'false' };
  }

  /**
   * Publishes `name@version` with these files (`index.js`...) and dependencies, packed by `npm pack` into a real
   * tarball; its package.json is written here.
   */
  async publish(name: string, version: string, files: Record<string, string>, dependencies: Record<string, string> = {}): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'npm-registry-pack-'));
    try {
      const manifest = { name, version, main: 'index.js', dependencies };
      writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
      for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
      const { stdout } = await promisify(execFile)('npm', ['pack', '--json', '--pack-destination', dir], { cwd: dir });
      const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
      const tarball = readFileSync(join(dir, filename));
      const versions = this.packages.get(name) ?? new Map<string, PublishedVersion>();
      versions.set(version, { manifest, tarball });
      this.packages.set(name, versions);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(method: string, path: string, response: ServerResponse): void {
    this.requests.push(`${method} ${path}`);
    const [, encodedName, file] = /^\/((?:@[^/]+(?:\/|%2[fF]))?[^/@]+)(?:\/-\/(.+\.tgz))?$/.exec(path.split('?')[0] as string) ?? [];
    const name = encodedName && decodeURIComponent(encodedName);
    const versions = name ? this.packages.get(name) : undefined;
    if (method !== 'GET' || !name || !versions) {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Not found' }));
      return;
    }
    if (file) {
      const version = [...versions.values()].find(({ manifest }) => tarballName(name, manifest.version as string) === file);
      if (!version) response.writeHead(404).end();
      else response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': version.tarball.length }).end(version.tarball);
      return;
    }
    const all = [...versions.values()];
    const packument = {
      name,
      'dist-tags': { latest: all[all.length - 1]?.manifest.version },
      versions: Object.fromEntries(
        all.map(({ manifest, tarball }) => [
          manifest.version,
          {
            ...manifest,
            dist: {
              tarball: `${this.url}${name}/-/${tarballName(name, manifest.version as string)}`,
              shasum: createHash('sha1').update(tarball).digest('hex'),
              integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
            },
          },
        ]),
      ),
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
  }
}

/** The registry's tarball file name: `name-1.0.0.tgz`, without a scope. */
function tarballName(name: string, version: string): string {
  return `${name.replace(/^@[^/]+\//, '')}-${version}.tgz`;
}
