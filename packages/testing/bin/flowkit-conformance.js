#!/usr/bin/env node
'use strict';
// flowkit-conformance [--graphs a,b] [--tests x,y] [--contexts dev-local] [--concurrency 3] [--debug]
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { combinations, runHarness } = require('../dist');

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const list = (name) => option(name)?.split(',').filter(Boolean);
const combos = combinations({ graphs: list('graphs'), tests: list('tests'), contexts: list('contexts') });
const workDir = mkdtempSync(join(tmpdir(), 'flowkit-conformance-'));
const flowkitBin = require.resolve('@flowkit/cli/bin/flowkit.js');
process.stdout.write(`${combos.length} combinations, work dir ${workDir}\n`);
runHarness(combos, {
  workDir,
  datastoreRoot: join(workDir, '.flowkit'),
  flowkitBin,
  concurrency: Number(option('concurrency') ?? 3),
  debug: argv.includes('--debug'),
  onResult: (id, error) => process.stdout.write(`${error ? 'FAIL' : 'ok  '} ${id}\n`),
}).then((failures) => {
  for (const { error } of failures) process.stdout.write(`\n${error.message}\n`);
  process.stdout.write(`\n${combos.length - failures.length} passed, ${failures.length} failed\n`);
  process.exitCode = failures.length > 0 ? 1 : 0;
});
