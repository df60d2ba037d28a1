import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/flowkit';

describe('a flow file that runs itself with main()', () => {
  test('`tsx flow.ts run --param x` runs like `flowkit run flow.ts --param x`, even for a class it does not export', () => {
    // Inside the repository, so plain node resolution finds @flowkit/core as a user's project would.
    mkdirSync(join(REPO_ROOT, 'test', '.tmp'), { recursive: true });
    const dir = mkdtempSync(join(REPO_ROOT, 'test', '.tmp', 'self-'));
    writeFileSync(
      join(dir, 'flow.ts'),
      `import { FlowSpec, step, main, Parameter } from '@flowkit/core';
class SelfFlow extends FlowSpec {
  who = Parameter('who', { default: 'me' });
  @step start() { console.log('self-run by', this.who); this.next(this.end); }
  @step end() {}
}
main(SelfFlow);
`,
    );
    const tsx = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const result = spawnSync(process.execPath, [tsx, 'flow.ts', 'run', '--who', 'you'], {
      cwd: dir,
      env: { ...process.env, FLOWKIT_USER: 'tester', FLOWKIT_DATASTORE_SYSROOT_LOCAL: join(dir, '.flowkit') },
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('FlowKit 0.1.0 executing SelfFlow for user:tester');
    expect(result.stdout).toMatch(/\[1\/start\/1 \(pid \d+\)\] self-run by you/);
    expect(result.stdout.trim().endsWith('Done!')).toBe(true);
  });
});
