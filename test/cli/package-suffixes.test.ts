import { existsSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project } from '../helpers/flowkit';

const packageFlow = `
import { FlowSpec, step } from '@flowkit/core';
export default class PackageFlow extends FlowSpec {
  @step start() { this.next(this.end); }
  @step end() {}
}`;

/** A flow directory with data files, credentials, FlowKit's and npm's directories, and symlinks (one a loop). */
function packageProject() {
  const files = project({
    'package.ts': packageFlow,
    'data/points.csv': 'x,y\n1,2\n',
    'data/sub/meta.json': '{"rows":1}',
    '.env': 'TOKEN=never-packaged',
    'prod.env': 'TOKEN=never-packaged',
    'node_modules/dep/table.csv': 'no',
    '.git/info.csv': 'no',
    'notes.txt': 'not asked for',
  });
  // A loop back to the flow's directory, a second way into data/, a file symlink and a dangling one.
  symlinkSync('../..', join(files.dir, 'data/sub/loop'));
  symlinkSync('data', join(files.dir, 'linked'));
  symlinkSync('points.csv', join(files.dir, 'data/alias.csv'));
  symlinkSync('missing.csv', join(files.dir, 'data/dangling.csv'));
  return files;
}

describe('--package-suffixes', () => {
  test('run --help lists it', async () => {
    const { dir, env } = project({ 'package.ts': packageFlow });
    const help = await flowkit(['run', 'package.ts', '--help'], { cwd: dir, env });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--package-suffixes\s+Ship the flow directory's files with these suffixes in the code package/);
  });

  test('the run lists the files it packages: symlinks followed without looping, never .env, .git, .flowkit or node_modules', async () => {
    const { dir, env } = packageProject();
    // A local run packages them too (a remote step would take them): the list shows what goes.
    const result = await flowkit(['run', 'package.ts', '--package-suffixes', '.csv,.json,.env'], { cwd: dir, env });
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('Code package: the bundle and 6 files by suffix: data/alias.csv, data/points.csv, data/sub/meta.json, linked/alias.csv, linked/points.csv, linked/sub/meta.json.');
    const none = await flowkit(['run', 'package.ts', '--package-suffixes', '.parquet'], { cwd: dir, env });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain("Code package: no file of the flow's directory has one of the --package-suffixes; only the bundle goes.");
  });

  test('a suffix without its dot or a pattern is refused in one line; so are files past 50 MB, naming the largest', async () => {
    const { dir, root, env } = packageProject();
    for (const suffixes of ['csv', '*', '.csv,', '.c*v']) {
      const result = await flowkit(['run', 'package.ts', '--package-suffixes', suffixes], { cwd: dir, env });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^--package-suffixes \\S+: '\\S*' is not a file name suffix\\.\\n  hint: give suffixes with their dot, comma-separated, e.g. --package-suffixes \\.csv,\\.json\\n$`));
    }
    // Sparse: 51 MB to stat, nothing on disk.
    mkdirSync(join(dir, 'big'));
    writeFileSync(join(dir, 'big/huge.csv'), '');
    truncateSync(join(dir, 'big/huge.csv'), 51 * 1024 * 1024);
    const big = await flowkit(['run', 'package.ts', '--package-suffixes', '.csv'], { cwd: dir, env });
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/^The files --package-suffixes \.csv adds to the code package weigh 51\.0 MB, more than 50\.0 MB; the largest: big\/huge\.csv \(51\.0 MB\), /);
    expect(existsSync(join(root, 'PackageFlow'))).toBe(false);
  });
});
