import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  test('an object holding a native handle (a socket) fails the step naming it', async () => {
    const { dir, env } = project({
      'socket.ts': `
import { FlowSpec, step } from '@flowkit/core';
import { Socket } from 'node:net';
export default class SocketFlow extends FlowSpec {
  declare connection: Socket;
  @step start() { this.connection = new Socket(); this.next(this.end); }
  @step end() {}
}`,
    });
    const result = await flowkit(['run', 'socket.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    const stepLines = result.stderr.split('\n').filter((line) => line.includes('[1/start/1'));
    expect(stepLines.map((line) => line.replace(/^.*\] /, ''))).toEqual([
      "Artifact 'connection' (Socket) cannot be stored: it holds a function or a native handle, which cannot be copied.",
      '  hint: store plain data (objects, arrays, Map, Set, Date, typed arrays, Buffer), or register a Serializer for this type',
    ]);
  });

  test('a class instance is stored as plain data, and the step storing it says so; plain data and built-ins do not', async () => {
    const { dir, env } = project({
      'point.ts': `
import { FlowSpec, step } from '@flowkit/core';
class Point { constructor(public x: number) {} norm() { return Math.abs(this.x); } }
export default class PointFlow extends FlowSpec {
  declare point: any;
  declare plain: any;
  @step start() {
    this.point = new Point(-3);
    this.plain = { at: new Date(0), seen: new Map([[1, new Set([2])]]), bytes: Buffer.from('x'), error: new RangeError('r') };
    this.next(this.end);
  }
  @step end() { console.log('norm is', typeof this.point.norm, 'x is', this.point.x); }
}`,
    });
    const result = await flowkit(['run', 'point.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const notes = result.stderr.split('\n').filter((line) => line.includes('FlowKit: artifact'));
    expect(notes).toEqual([expect.stringContaining("[1/start/1 (pid")]);
    expect(notes[0]).toContain("FlowKit: artifact 'point' is a Point instance, stored as plain data: later steps and the client read it without Point's methods");
    expect(result.stdout).toContain('norm is undefined x is -3');
  });

  test('mergeArtifacts outside a join names the step', async () => {
    const { dir, env } = project({
      'merge.ts': `
import { FlowSpec, step } from '@flowkit/core';
export default class MergeFlow extends FlowSpec {
  @step start() { this.mergeArtifacts([]); this.next(this.end); }
  @step end() {}
}`,
    });
    const result = await flowkit(['run', 'merge.ts'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("mergeArtifacts() can only be called in a join step; 'start' is a start step.");
  });
});

describe('untouched artifacts', () => {
  test('are passed down by reference: later steps that never read them do not load them', async () => {
    const { dir, root, env } = project({
      'ref.ts': `
import { FlowSpec, step } from '@flowkit/core';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
export default class RefFlow extends FlowSpec {
  declare payload: string; declare marker: number;
  @step start() { this.payload = 'x'.repeat(1000) + 'unique-payload'; this.next(this.drop); }
  @step drop() {
    // Remove the payload's blob: a step that loaded or re-stored it would now fail or re-create it.
    const root = process.env.FLOWKIT_DATASTORE_SYSROOT_LOCAL as string;
    const index = JSON.parse(readFileSync(join(root, 'RefFlow/1/start/1/0.data.json'), 'utf8'));
    const sha = index.artifacts.payload.sha;
    rmSync(join(root, 'RefFlow/data', sha.slice(0, 2), sha));
    this.marker = 1;
    this.next(this.end);
  }
  @step end() { console.log('marker', this.marker); }
}`,
    });
    const result = await flowkit(['run', 'ref.ts'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('marker 1');
    const read = (step: string, task: string) => JSON.parse(readFileSync(join(root, `RefFlow/1/${step}/${task}/0.data.json`), 'utf8'));
    expect(read('end', '3').artifacts.payload).toEqual(read('start', '1').artifacts.payload);
  });
});
