import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, flowkit } from '../helpers/flowkit';
import { datasetMovies, printed, pulledTutorials } from '../helpers/tutorials';

const SHIPPED = join(REPO_ROOT, 'packages', 'tutorials', 'episodes');
const EPISODES = readdirSync(SHIPPED).filter((name) => /^\d\d-/.test(name)).sort();
/** Flow files are the episodes' .ts files that define a FlowSpec (the others are scripts). */
const FLOW_FILES = EPISODES.flatMap((episode) =>
  readdirSync(join(SHIPPED, episode))
    .filter((file) => file.endsWith('.ts') && readFileSync(join(SHIPPED, episode, file), 'utf8').includes('extends FlowSpec'))
    .map((file) => `${episode}/${file}`),
);

/** Minimal RFC 4180 reader, so the test checks the CSV without the tutorials' own code. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  return rows;
}

describe('flowkit tutorials', () => {
  test('pull copies every episode, a README and movies.csv converted from vega-datasets, and says what it did', async () => {
    const { dir, pull } = await pulledTutorials();
    expect(pull.stderr).toBe('');
    expect(pull.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['.flowkit', ...EPISODES, 'README.md', 'movies.csv', 'package.json'].sort());
    for (const episode of EPISODES) {
      expect(existsSync(join(dir, episode, 'README.md'))).toBe(true);
      expect(pull.stdout).toMatch(new RegExp(`${episode}: \\d+ created\\n`));
    }
    const [header, ...rows] = parseCsv(readFileSync(join(dir, 'movies.csv'), 'utf8'));
    expect(header).toEqual(['movie_title', 'title_year', 'genre', 'gross']);
    const movies = datasetMovies();
    expect(rows.map(([title, year, genre, gross]) => ({ title, year: Number(year), genre, gross: Number(gross) }))).toEqual(movies);
    expect(pull.stdout).toContain(`movies.csv created; movies.csv holds ${movies.length} movies from vega-datasets@3.2.1 data/movies.json`);
    // The pulled package.json asks for the same versions the tutorials package was tested with.
    const shipped = JSON.parse(readFileSync(join(REPO_ROOT, 'packages', 'tutorials', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const pulled = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const [name, version] of Object.entries(pulled.dependencies)) expect(shipped.dependencies[name]).toBe(version);
  });

  test('pull again: unchanged files stay, edited ones are kept unless --force, --episode picks one', async () => {
    const { cwd, dir } = await pulledTutorials(['--episode', '0']);
    expect(readdirSync(dir).filter((name) => /^\d\d-/.test(name))).toEqual(['00-helloworld']);
    const flow = join(dir, '00-helloworld', 'helloworld.ts');
    const shipped = readFileSync(flow, 'utf8');
    writeFileSync(flow, `${shipped}// my notes\n`);

    const again = await flowkit(['tutorials', 'pull', '--episode', '00-helloworld', '--episode', '00'], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout.match(/00-helloworld: 1 unchanged, 1 kept/g)).toHaveLength(1);
    expect(again.stdout).toContain('shared: README.md unchanged, package.json unchanged, movies.csv unchanged');
    expect(again.stdout).toContain('Kept 1 file you changed: 00-helloworld/helloworld.ts (--force overwrites them)');
    expect(readFileSync(flow, 'utf8')).toContain('// my notes');

    const forced = await flowkit(['tutorials', 'pull', '--episode', '0', '--force'], { cwd });
    expect(forced.stdout).toContain('00-helloworld: 1 refreshed, 1 unchanged');
    expect(readFileSync(flow, 'utf8')).toBe(shipped);
  });

  test('a bad --episode is a clear error, and nothing is written', async () => {
    for (const bad of ['8', 'nine', '']) {
      const { dir, pull } = await pulledTutorials(['--episode', bad]);
      expect(pull.code).toBe(1);
      expect(pull.stderr).toContain(`Unknown episode '${bad}': episodes are 00 to 07.`);
      expect(pull.stderr).toContain('flowkit tutorials list');
      expect(existsSync(dir)).toBe(false);
    }
  });

  test('list names every episode; info shows one README and how to get it', async () => {
    expect(EPISODES.map((name) => name.slice(0, 2))).toEqual(['00', '01', '02', '03', '04', '05', '06', '07']);
    const list = await flowkit(['tutorials', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n').filter((line) => /^\d\d-/.test(line)).map((line) => line.split(' ')[0])).toEqual(EPISODES);
    expect(list.stdout).toMatch(/^00-helloworld\s+FlowKit says Hi!$/m);
    const info = await flowkit(['tutorials', 'info', 'helloworld']);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('# Episode 00-helloworld: FlowKit says Hi!');
    expect(info.stdout).toContain('Files: 00-helloworld/README.md, 00-helloworld/helloworld.ts');
    expect(info.stdout).toContain('flowkit tutorials pull --episode 00');
    const missing = await flowkit(['tutorials', 'info']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Not enough non-option arguments');
  });

  test('00-helloworld: show and run from the pulled directory, with FlowKit found where the CLI is installed', async () => {
    const { dir } = await pulledTutorials(['--episode', '0']);
    const show = await flowkit(['show', '00-helloworld/helloworld.ts'], { cwd: dir });
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/Step start \(start\)[\s\S]*=> hello[\s\S]*Step hello \(linear\)[\s\S]*=> end/);
    const run = await flowkit(['run', '00-helloworld/helloworld.ts'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(printed(run.stdout)).toEqual(expect.arrayContaining(['HelloFlow is starting.', 'FlowKit says: Hi!', 'HelloFlow is all done.']));
    // The run is recorded in the .flowkit/ that pull made, which every episode shares.
    expect(existsSync(join(dir, '.flowkit', 'HelloFlow', '1', '_meta', 'run.json'))).toBe(true);
  });

  test('every flow passes flowkit check', async () => {
    const { dir } = await pulledTutorials();
    for (const file of FLOW_FILES) {
      const check = await flowkit(['check', file], { cwd: dir });
      expect({ file, out: check.stdout, err: check.stderr }).toEqual({ file, out: 'The graph looks good!\n', err: '' });
    }
  });
});
