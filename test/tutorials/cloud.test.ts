import { flowkit, type CliResult } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';
import { datasetMovies, printed, pulledTutorials, tsxScript } from '../helpers/tutorials';

/**
 * Episodes 05-07 against a real S3 server (s3rver). There is no Batch plugin yet: `--with batch` is checked
 * to fail clearly, and the flows run with local compute and S3 storage, which is what can run today.
 * When @flowkit/compute-batch lands, the first test should run `--with batch` against its test endpoint.
 */
let server: S3TestServer;
let dir: string;
let s3: Record<string, string>;

beforeAll(async () => {
  server = await S3TestServer.start(['flowkit']);
  ({ dir } = await pulledTutorials());
  s3 = { ...server.env('s3://flowkit/tutorials'), FLOWKIT_DEFAULT_DATASTORE: 's3' };
});
afterAll(async () => {
  await server.close();
});

async function run(args: string[]): Promise<CliResult> {
  const result = await flowkit(['run', ...args], { cwd: dir, env: s3 });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

describe('tutorial episodes 05-07 on S3', () => {
  test('05-helloaws: --with batch needs the Batch plugin; on S3 the flow runs and the script reads it back', async () => {
    const batch = await flowkit(['run', '05-helloaws/helloaws.ts', '--with', 'batch'], { cwd: dir, env: s3 });
    expect(batch.code).toBe(1);
    expect(batch.stderr).toContain("Unknown step decorator 'batch'");
    expect(batch.stderr).toContain('install the plugin package that provides it');

    const result = await run(['05-helloaws/helloaws.ts']);
    expect(printed(result.stdout)).toEqual(expect.arrayContaining(['HelloAWS is starting (HelloAWSFlow/1/start/1).', 'FlowKit says: Hi from AWS!', 'HelloAWS is finished.']));
    expect(await server.keys('tutorials/HelloAWSFlow/1/hello/')).toEqual(expect.arrayContaining([expect.stringMatching(/0\.DONE$/)]));

    const client = await tsxScript(['05-helloaws/hello-client.ts'], { cwd: dir, env: s3 });
    expect(client.stderr).toBe('');
    expect(client.stdout).toBe('Latest run: HelloAWSFlow/1 (successful)\nmessage: Hi from AWS!\nhello printed: FlowKit says: Hi from AWS! (attempt 0)\n');
  });

  test('06-statistics-redux: episode 02 with --max-workers 4 on S3; the script reads the stats and the included CSV from S3', async () => {
    await run(['02-statistics/stats.ts', '--max-workers', '4']);
    expect((await server.keys('tutorials/MovieStatsFlow/')).length).toBeGreaterThan(0);
    const movies = datasetMovies();
    const genres = new Set(movies.map((m) => m.genre));
    const remote = await tsxScript(['06-statistics-redux/stats-remote.ts'], { cwd: dir, env: s3 });
    expect(remote.stderr).toBe('');
    expect(remote.code).toBe(0);
    expect(remote.stdout).toContain("Using analysis from 'MovieStatsFlow/1'");
    expect(remote.stdout).toContain(`The run included movies.csv: ${movies.length} movies`);
    expect(remote.stdout).toContain(`${genres.size} genres were computed in parallel`);
    for (const genre of genres) {
      expect(remote.stdout).toMatch(new RegExp(`^${genre.replace('/', '\\/')}\\s+${movies.filter((m) => m.genre === genre).length} movies, median gross \\$`, 'm'));
    }
  });

  test('07-worldview: the dashboard lists every flow with its runs, from S3', async () => {
    const dashboard = await tsxScript(['07-worldview/worldview.ts'], { cwd: dir, env: s3 });
    expect(dashboard.stderr).toBe('');
    const lines = dashboard.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^flow\s+runs\s+successful\s+latest run\s+state\s+started\s+took$/);
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/).slice(0, 5)).sort()).toEqual([
      ['HelloAWSFlow', '1', '1', 'HelloAWSFlow/1', 'succeeded'],
      ['MovieStatsFlow', '1', '1', 'MovieStatsFlow/1', 'succeeded'],
    ]);
    const everyone = await tsxScript(['07-worldview/worldview.ts', '--all'], { cwd: dir, env: { ...s3, FLOWKIT_USER: 'someone-else' } });
    expect(everyone.stdout).toContain('HelloAWSFlow');
    const mine = await tsxScript(['07-worldview/worldview.ts'], { cwd: dir, env: { ...s3, FLOWKIT_USER: 'someone-else' } });
    expect(mine.stdout).toBe('No flows yet: run an episode first.\n');
  });
});
