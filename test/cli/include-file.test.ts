import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { flowkit, project, startUntil } from '../helpers/flowkit';

const includeFlow = `
import { FlowSpec, IncludeFile, step } from '@flowkit/core';
export default class IncludeFlow extends FlowSpec {
  data = IncludeFile('data', { required: true });
  @step start() { console.log('read', this.data.length); this.next(this.end); }
  @step end() {}
}`;

describe('IncludeFile reads are bounded and interruptible', () => {
  test('a file past FLOWKIT_INCLUDE_FILE_MAX_MB (/dev/zero, endless) is refused clearly before a run is recorded', async () => {
    const { dir, root, env } = project({ 'include.ts': includeFlow, 'small.txt': 'x'.repeat(1000) });
    const limited = { ...env, FLOWKIT_INCLUDE_FILE_MAX_MB: '0.5' };
    const zero = await flowkit(['run', 'include.ts', '--data', '/dev/zero'], { cwd: dir, env: limited });
    expect(zero.code).toBe(1);
    expect(zero.stderr).toBe("IncludeFile 'data': /dev/zero is larger than 0.5 MB, the most an IncludeFile reads.\n  hint: raise FLOWKIT_INCLUDE_FILE_MAX_MB, or read a file that large in a step instead of including it\n");
    expect(existsSync(join(root, 'IncludeFlow'))).toBe(false);
    const small = await flowkit(['run', 'include.ts', '--data', 'small.txt'], { cwd: dir, env: limited });
    expect(small.code).toBe(0);
    expect(small.stdout).toContain('read 1000');
    const bad = await flowkit(['run', 'include.ts', '--data', 'small.txt'], { cwd: dir, env: { ...env, FLOWKIT_INCLUDE_FILE_MAX_MB: 'lots' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("FLOWKIT_INCLUDE_FILE_MAX_MB takes a positive number of MB, got 'lots'.");
  });

  test('Ctrl-C while an IncludeFile is still being read stops the read: exit 130, no run recorded', async () => {
    const { dir, root, env } = project({ 'include.ts': includeFlow });
    const fifo = join(dir, 'slow.pipe');
    execFileSync('mkfifo', [fifo]);
    // Held open for reading and writing, so flowkit's open does not block; a trickle keeps its read going.
    const writer = openSync(fifo, 'r+');
    const trickle = setInterval(() => writeSync(writer, Buffer.alloc(1024)), 50);
    try {
      const started = startUntil(['run', 'include.ts', '--data', fifo], { cwd: dir, env }, /The graph looks good/);
      await started.reached;
      await new Promise((resolve) => setTimeout(resolve, 300));
      started.child.kill('SIGINT');
      expect(await started.exited).toBe(130);
      expect(existsSync(join(root, 'IncludeFlow'))).toBe(false);
    } finally {
      clearInterval(trickle);
      closeSync(writer);
    }
  });
});
