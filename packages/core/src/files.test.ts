import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirectory, writeFileAtomically } from './files';

describe('writeFileAtomically', () => {
  test('makes the directory, replaces a whole file, and leaves no temp file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowkit-files-'));
    const path = join(dir, 'a', 'b', 'record.json');
    writeFileAtomically(path, 'first');
    writeFileAtomically(path, Buffer.from('second'));
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['record.json']);
  });

  test('a write that cannot happen throws and leaves nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowkit-files-'));
    writeFileSync(join(dir, 'occupied'), 'a file where a directory should be');
    expect(() => writeFileAtomically(join(dir, 'occupied', 'record.json'), 'data')).toThrow(/ENOTDIR|EEXIST/);
    // Renaming over a directory fails after the temp file was written: the directory stays, the temp file goes.
    const directory = join(dir, 'directory');
    writeFileAtomically(join(directory, 'inside'), 'x');
    expect(() => writeFileAtomically(directory, 'data')).toThrow(/EISDIR/);
    expect(readdirSync(dir).sort()).toEqual(['directory', 'occupied']);
    expect(readdirSync(directory)).toEqual(['inside']);
  });
});

describe('makeDirectory', () => {
  test('makes every missing directory, accepts one that exists, and fails (not spins) where mkdir cannot succeed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowkit-files-'));
    makeDirectory(join(dir, 'a', 'b', 'c'));
    makeDirectory(join(dir, 'a', 'b'));
    expect(statSync(join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
    writeFileSync(join(dir, 'file'), '');
    expect(() => makeDirectory(join(dir, 'file', 'x', 'y'))).toThrow(/ENOTDIR/);
    // Node's recursive mkdir never returns here.
    expect(() => makeDirectory('/proc/flowkit/x')).toThrow(/ENOENT/);
  });
});
