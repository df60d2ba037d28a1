import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { flowkit, project } from '../helpers/flowkit';
import { gcsServerForThisFile, gcsEnv } from './gcsServer';

const FLOW = `
import { FlowSpec, IncludeFile, step } from '@flowkit/core';
export default class MoviesFlow extends FlowSpec {
  movies = IncludeFile('movies', { help: 'Movies as CSV', default: 'movies.csv' });
  logo = IncludeFile('logo', { encoding: 'binary', default: 'logo.bin' });
  declare count: number;
  @step start() {
    this.count = this.movies.trim().split('\\n').length - 1;
    console.log('movies', this.count, 'logo bytes', this.logo.length, Buffer.isBuffer(this.logo));
    this.next(this.end);
  }
  @step end() { console.log('first movie', this.movies.split('\\n')[1]); }
}`;

const CSV = 'title,genre\nAlien,Sci-Fi\nHeat,Crime\n';

const server = gcsServerForThisFile(['flowkit', 'inputs']);
beforeAll(async () => {
  // Uploaded by the plain client, as a user would put a file in a bucket.
  const storage = new Storage({ apiEndpoint: server().url });
  await storage.bucket('inputs').file('data/movies.csv').save(CSV, { resumable: false });
  await storage.bucket('inputs').file('data/logo.bin').save(Buffer.from([0, 1, 2, 255]), { resumable: false });
});

describe('IncludeFile from gs://', () => {
  test('reads gs:// URLs at run start (from any bucket) and stores their content with the run on GCS', async () => {
    const { dir, env } = project({ 'movies.ts': FLOW });
    const gcs = { ...env, ...gcsEnv(server(), 'gs://flowkit/include') };
    const result = await flowkit(['run', 'movies.ts', '--datastore', 'gcs', '--movies', 'gs://inputs/data/movies.csv', '--logo', 'gs://inputs/data/logo.bin'], { cwd: dir, env: gcs });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('movies 2 logo bytes 4 true');
    expect(result.stdout).toContain('first movie Alien,Sci-Fi');
    const dump = await flowkit(['dump', 'MoviesFlow', '1/end', '--datastore', 'gcs', '--include', 'movies', '--file', join(dir, 'dump.json')], { cwd: dir, env: gcs });
    expect(dump.code).toBe(0);
    expect(Object.values(JSON.parse(readFileSync(join(dir, 'dump.json'), 'utf8')) as Record<string, { movies: string }>)[0]?.movies).toBe(CSV);
  }, 60000);

  test('a gs:// URL that names nothing is an error naming the parameter and the URL, before any run', async () => {
    const { dir, env } = project({ 'movies.ts': FLOW, 'logo.bin': 'x' });
    const gcs = { ...env, ...gcsEnv(server(), 'gs://flowkit/include') };
    const missing = await flowkit(['run', 'movies.ts', '--movies', 'gs://inputs/data/none.csv'], { cwd: dir, env: gcs });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("IncludeFile 'movies' cannot read gs://inputs/data/none.csv: Object not found: gs://inputs/data/none.csv.");
    const noBucket = await flowkit(['run', 'movies.ts', '--movies', 'gs://nobody-made-this/movies.csv'], { cwd: dir, env: gcs });
    expect(noBucket.code).toBe(1);
    expect(noBucket.stderr).toContain("IncludeFile 'movies' cannot read gs://nobody-made-this/movies.csv: Cannot read gs://nobody-made-this/movies.csv: the bucket does not exist.");
    for (const result of [missing, noBucket]) expect(result.stdout).not.toContain('Task is starting');
  }, 60000);

  test('an object past FLOWKIT_INCLUDE_FILE_MAX_MB is refused from its size, before its bytes are read', async () => {
    const { dir, env } = project({ 'movies.ts': FLOW, 'logo.bin': 'x' });
    const limited = { ...env, ...gcsEnv(server(), 'gs://flowkit/include'), FLOWKIT_INCLUDE_FILE_MAX_MB: '0.00001' };
    const before = server().requests().length;
    const large = await flowkit(['run', 'movies.ts', '--movies', 'gs://inputs/data/movies.csv'], { cwd: dir, env: limited });
    expect(large.code).toBe(1);
    expect(large.stderr).toContain("IncludeFile 'movies': gs://inputs/data/movies.csv is larger than 0.00001 MB, the most an IncludeFile reads.");
    // Its metadata was asked for, never its content.
    expect(server().requests().slice(before).filter((r) => r.path.includes('movies.csv') && r.path.includes('alt=media'))).toEqual([]);
  }, 60000);
});
