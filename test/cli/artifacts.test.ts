import { flowkit, project } from '../helpers/flowkit';

describe('artifacts', () => {
  test('every structured-clone type round-trips between tasks', async () => {
    const { dir, env } = project({
      'types.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class TypesFlow extends FlowSpec {
  [key: string]: any;
  @step start() {
    this.map = new Map<string, unknown>([['a', 1], ['b', { c: [1, 2] }]]);
    this.set = new Set([1, 'two', 3n]);
    this.date = new Date('2024-02-29T12:34:56.789Z');
    this.big = 2n ** 70n;
    this.floats = new Float64Array([1.5, -2.25, Math.PI]);
    this.buffer = Buffer.from('héllo');
    const cyclic: any = { name: 'loop' }; cyclic.self = cyclic; this.cyclic = cyclic;
    this.unicode = 'naïve café 日本語 🚀';
    this.nothing = null;
    this.next(this.end);
  }
  @step end() {
    const checks = {
      map: this.map instanceof Map && this.map.get('b').c[1] === 2,
      set: this.set instanceof Set && this.set.has(3n) && this.set.has('two'),
      date: this.date instanceof Date && this.date.toISOString() === '2024-02-29T12:34:56.789Z',
      big: this.big === 2n ** 70n,
      floats: this.floats instanceof Float64Array && this.floats[2] === Math.PI,
      buffer: Buffer.isBuffer(this.buffer) && this.buffer.toString() === 'héllo',
      cyclic: this.cyclic.self === this.cyclic && this.cyclic.name === 'loop',
      unicode: this.unicode === 'naïve café 日本語 🚀',
      nothing: this.nothing === null,
    };
    console.log(JSON.stringify(checks));
  }
}`,
    });
    const result = await flowkit(['run', 'types.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const line = result.stdout.split('\n').find((l) => l.includes('"map"')) ?? '';
    const checks = JSON.parse(line.slice(line.indexOf('{')));
    expect(checks).toEqual({ map: true, set: true, date: true, big: true, floats: true, buffer: true, cyclic: true, unicode: true, nothing: true });
  });

  test('an artifact that cannot be serialized fails the step naming it and its type', async () => {
    const { dir, env } = project({
      'bad.ts': `
import { FlowSpec, step } from '@flowkit/core';
import { createServer } from 'node:net';
export default class BadFlow extends FlowSpec {
  declare callback: () => number;
  @step start() { this.callback = () => 1; this.next(this.end); }
  @step end() {}
}`,
    });
    const result = await flowkit(['run', 'bad.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Artifact 'callback' (function) cannot be stored");
    expect(result.stderr).not.toContain('Workflow starting');
  });
});
