import { compressPaths, decodeTaskArgs, encodeTaskArgs, expandPaths, type TaskArgs } from './taskArgs';

const ARGS: TaskArgs = {
  stepName: 'join', runId: '7', taskId: '250', attempt: 0, userAttempts: 1, inputPaths: [], maxNumSplits: 1000,
  datastore: 's3', datastoreRoot: 's3://b/p', metadata: 'local', withSpecs: [],
};

describe('input paths on the task command line', () => {
  test('a 1000-way join fits in a few characters and reads back in order', () => {
    const paths = Array.from({ length: 1000 }, (_, i) => `body/${i + 2}`);
    expect(compressPaths(paths)).toBe('body/2..1001');
    expect(decodeTaskArgs(encodeTaskArgs({ ...ARGS, inputPaths: paths })).inputPaths).toEqual(paths);
  });

  test('mixed steps, gaps, non-numeric and zero-padded ids survive the round trip', () => {
    const paths = ['a/1', 'a/2', 'b/3', 'b/4', 'b/5', 'b/6', 'b/9', 'b/t-0-1', 'b/007', 'a/08', 'a/9', 'a/10', 'a/11'];
    const text = compressPaths(paths);
    expect(text).toBe('a/1,2,b/3..6,9,t-0-1,007,a/08,9..11');
    expect(expandPaths(text)).toEqual(paths);
  });

  test('malformed paths are refused, naming the part', () => {
    expect(() => expandPaths('3..5')).toThrow("bad input path '3..5'");
    expect(() => expandPaths('body/9..3')).toThrow("bad input path range 'body/9..3'");
    expect(() => expandPaths('../x/1')).toThrow('Invalid step id');
    expect(() => expandPaths('body/a/b')).toThrow("bad input path 'body/a/b'");
  });
});
