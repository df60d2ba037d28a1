import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Config } from '@flowkit/core/plugin';
import { S3 } from '@flowkit/datastore-s3';
import { flowkit, project } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';

const FLOW = `
import { FlowSpec, IncludeFile, step, current } from '@flowkit/core';
import { S3 } from '@flowkit/datastore-s3';
export default class MoviesFlow extends FlowSpec {
  movies = IncludeFile('movies', { help: 'Movies as CSV', default: 'movies.csv' });
  logo = IncludeFile('logo', { encoding: 'binary', default: 'logo.bin' });
  declare count: number;
  @step async start() {
    this.count = this.movies.trim().split('\\n').length - 1;
    console.log('movies', this.count, 'logo bytes', this.logo.length, Buffer.isBuffer(this.logo));
    if (process.env.FLOWKIT_DEFAULT_DATASTORE === 's3') {
      await using s3 = new S3({ run: current });
      await s3.put('summary.txt', 'count=' + this.count);
    }
    this.next(this.end);
  }
  @step async end() {
    if (process.env.FLOWKIT_DEFAULT_DATASTORE === 's3') {
      await using s3 = new S3({ run: current });
      console.log('summary', (await s3.get('summary.txt')).text);
    }
    console.log('first movie', this.movies.split('\\n')[1]);
  }
}`;

const CSV = 'title,genre\nAlien,Sci-Fi\nHeat,Crime\n';

let server: S3TestServer;
beforeAll(async () => {
  server = await S3TestServer.start(['flowkit']);
});
afterAll(async () => {
  await server.close();
});

describe('IncludeFile', () => {
  test('reads local files at run start and stores their content: later edits do not change the run', async () => {
    const { dir, env } = project({ 'movies.ts': FLOW, 'movies.csv': CSV, 'logo.bin': '\u0000\u0001\u0002' });
    const result = await flowkit(['run', 'movies.ts'], { cwd: dir, env });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('movies 2 logo bytes 3 true');
    writeFileSync(join(dir, 'movies.csv'), 'title,genre\nChanged,Drama\n');
    const dump = await flowkit(['dump', 'MoviesFlow', '1/end', '--file', join(dir, 'dump.json')], { cwd: dir, env });
    expect(dump.code).toBe(0);
    expect(Object.values(JSON.parse(readFileSync(join(dir, 'dump.json'), 'utf8')) as Record<string, { movies: string }>)[0]?.movies).toBe(CSV);
    const help = await flowkit(['run', 'movies.ts', '--help'], { cwd: dir, env });
    expect(help.stdout).toMatch(/--movies\s+Movies as CSV \[file or URL, stored as an artifact\]/);
  });

  test('--movies overrides the default; a missing file names the parameter and the path, before any run', async () => {
    const { dir, root, env } = project({ 'movies.ts': FLOW, 'other.csv': 'title\nOne\nTwo\nThree\n', 'logo.bin': 'x' });
    const result = await flowkit(['run', 'movies.ts', '--movies', 'other.csv'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('movies 3 logo bytes 1 true');
    const missing = await flowkit(['run', 'movies.ts', '--movies', 'nope.csv'], { cwd: dir, env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`IncludeFile 'movies': ${join(dir, 'nope.csv')} does not exist.`);
    expect(missing.stderr).toContain('hint: pass --movies with the path of a readable file');
    expect(existsSync(join(root, 'MoviesFlow', '2'))).toBe(false);
  });

  test('reads s3:// URLs; steps use the run-scoped datatools S3 client', async () => {
    const { dir, env } = project({ 'movies.ts': FLOW, 'logo.bin': 'xy' });
    const s3env = { ...env, ...server.env('s3://flowkit/include'), FLOWKIT_DEFAULT_DATASTORE: 's3' };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: s3env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: s3env.AWS_SECRET_ACCESS_KEY });
    await using s3 = new S3({ config: new Config(s3env) });
    await s3.put('s3://flowkit/inputs/movies.csv', CSV);
    const result = await flowkit(['run', 'movies.ts', '--movies', 's3://flowkit/inputs/movies.csv'], { cwd: dir, env: s3env });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('movies 2 logo bytes 2 true');
    expect(result.stdout).toContain('summary count=2');
    expect(result.stdout).toContain('first movie Alien,Sci-Fi');
    expect(await server.keys('include/MoviesFlow/1/_datatools/')).toEqual(['include/MoviesFlow/1/_datatools/summary.txt']);
    const missing = await flowkit(['run', 'movies.ts', '--movies', 's3://flowkit/inputs/none.csv'], { cwd: dir, env: s3env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("IncludeFile 'movies' cannot read s3://flowkit/inputs/none.csv: Object not found: s3://flowkit/inputs/none.csv.");
    const large = await flowkit(['run', 'movies.ts', '--movies', 's3://flowkit/inputs/movies.csv'], { cwd: dir, env: { ...s3env, FLOWKIT_INCLUDE_FILE_MAX_MB: '0.00001' } });
    expect(large.code).toBe(1);
    expect(large.stderr).toContain("IncludeFile 'movies': s3://flowkit/inputs/movies.csv is larger than 0.00001 MB, the most an IncludeFile reads.");
  }, 60000);
});
