import { BatchTestServer } from '@flowkit/test-servers';
import { flowkit, type CliResult } from '../helpers/flowkit';
import { S3TestServer } from '../helpers/s3server';
import { datasetMovies, printed, pulledTutorials, tsxScript } from '../helpers/tutorials';

/**
 * Episodes 05-07 against a real S3 server (s3rver); episode 05 runs `--with batch` against the AWS Batch test
 * server (packages/test-servers), whose jobs reach s3rver with their job role's credentials.
 */
let server: S3TestServer;
let batchServer: BatchTestServer;
let dir: string;
let s3: Record<string, string>;

beforeAll(async () => {
  server = await S3TestServer.start(['flowkit']);
  batchServer = await BatchTestServer.start({ queues: ['tutorials'], stateDelayMs: 5, jobRoleCredentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  ({ dir } = await pulledTutorials());
  s3 = { ...server.env('s3://flowkit/tutorials'), FLOWKIT_DEFAULT_DATASTORE: 's3' };
});
afterAll(async () => {
  await batchServer.stop();
  await server.close();
});

async function run(args: string[]): Promise<CliResult> {
  const result = await flowkit(['run', ...args], { cwd: dir, env: s3 });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

describe('tutorial episodes 05-07 on S3', () => {
  test('05-helloaws: --with batch runs every step as an AWS Batch job on S3, and the script reads it back', async () => {
    const batch = {
      ...batchServer.env(),
      ...s3,
      FLOWKIT_BATCH_JOB_QUEUE: 'tutorials',
      FLOWKIT_ECS_S3_ACCESS_IAM_ROLE: 'arn:aws:iam::123456789012:role/tutorials',
      FLOWKIT_BATCH_POLL_SECONDS: '0.1',
    };
    const result = await flowkit(['run', '05-helloaws/helloaws.ts', '--with', 'batch'], { cwd: dir, env: batch });
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(printed(result.stdout)).toEqual(expect.arrayContaining(['HelloAWS is starting (HelloAWSFlow/1/start/1).', 'FlowKit says: Hi from AWS!', 'HelloAWS is finished.']));
    expect(batchServer.jobs().map((job) => [job.tags['flowkit.step'], job.status])).toEqual([['start', 'SUCCEEDED'], ['hello', 'SUCCEEDED'], ['end', 'SUCCEEDED']]);
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
