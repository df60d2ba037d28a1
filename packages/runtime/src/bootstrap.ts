/*
 * `node -e <this file> <manifest url> <manifest sha256> step <name> ...`: how a task starts in an image that has
 * nothing but Node. It fetches the manifest (JSON: the URL and sha256 of the bundle, of the archive of files asked for
 * by suffix and of the step's environment of packages, and the source map's URL), then each part, refusing any whose
 * sha256 differs; unpacks the files into a scratch working directory (the environment beside it, where the task's
 * imports then resolve) and runs the task there, with its output copied to this process's own (what a backend's log
 * stream shows) and to files, then runs the package's `finish` entry, which saves those logs and the attempt's
 * records to the datastore. It exits as the task did. Node's builtins only: it runs before any FlowKit code exists here.
 * URLs are presigned (or file://), or s3:// read with the job's own AWS credentials (see getS3).
 * With FLOWKIT_TASK_TIMEOUT_SECONDS (runtime's TASK_TIMEOUT_VAR), it keeps the step's @timeout itself: an engine that
 * runs the job has no scheduler to do it, and from here the kill cannot be held off by user code blocking its thread.
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const FETCH_ATTEMPTS = 4;

/** A URL as it may be shown: a presigned URL's query string is its credential. */
function shown(url: string): string {
  return url.split('?')[0] as string;
}

/** An HTTP(S) GET's status and body. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  const getter = url.startsWith('https://') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    getter(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

async function fetchOnce(url: string): Promise<Buffer> {
  if (url.startsWith('file://')) return readFileSync(fileURLToPath(url));
  const { status, body } = url.startsWith('s3://') ? await getS3(url) : await get(url);
  // S3 says why in its error document (AccessDenied, NoSuchKey).
  const code = /<Code>(\w+)<\/Code>/.exec(body.toString('utf8'))?.[1];
  if (status !== 200) throw new Error(`HTTP ${status}${code ? ` ${code}` : ''}`);
  return body;
}

interface AwsCredentials {
  id: string;
  secret: string;
  token?: string;
}

let credentials: Promise<AwsCredentials> | undefined;

/** The environment's AWS credentials, else the container's role (ECS, Batch): what the SDK would find there. */
function awsCredentials(): Promise<AwsCredentials> {
  credentials ??= (async () => {
    const env = process.env;
    if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return { id: env.AWS_ACCESS_KEY_ID, secret: env.AWS_SECRET_ACCESS_KEY, token: env.AWS_SESSION_TOKEN };
    const uri = env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI && `http://169.254.170.2${env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`);
    if (!uri) throw new Error('no AWS credentials (give the job a role)');
    const token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
    const { status, body } = await get(uri, token ? { Authorization: token } : {});
    if (status !== 200) throw new Error(`the container credentials endpoint answered HTTP ${status}`);
    const role = JSON.parse(body.toString('utf8')) as { AccessKeyId: string; SecretAccessKey: string; Token?: string };
    return { id: role.AccessKeyId, secret: role.SecretAccessKey, token: role.Token };
  })();
  credentials.catch(() => (credentials = undefined));
  return credentials;
}

const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
const rfc3986 = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * GET of `s3://bucket/key`, signed (AWS Signature Version 4, header form) with the job's credentials: a deployed
 * state machine outlives any presigned URL. Endpoint and region as datastore-s3 takes them (FLOWKIT_S3_ENDPOINT_URL,
 * path-style; FLOWKIT_S3_REGION), else the bucket's virtual host in AWS_REGION.
 */
async function getS3(url: string): Promise<{ status: number; body: Buffer }> {
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(url) ?? [];
  const env = process.env;
  const region = env.FLOWKIT_S3_REGION ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const path = (key as string).split('/').map(rfc3986).join('/');
  const endpoint = env.FLOWKIT_S3_ENDPOINT_URL?.replace(/\/+$/, '');
  const target = new URL(endpoint ? `${endpoint}/${bucket}/${path}` : `https://${bucket}.s3.${region}.amazonaws.com/${path}`);
  const { id, secret, token } = await awsCredentials();
  const time = new Date().toISOString().replace(/[-:]|\.\d+/g, '');
  const scope = `${time.slice(0, 8)}/${region}/s3/aws4_request`;
  const headers: Record<string, string> = { host: target.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-date': time, ...(token && { 'x-amz-security-token': token }) };
  const names = Object.keys(headers);
  const canonical = ['GET', target.pathname, '', ...names.map((name) => `${name}:${headers[name]}`), '', names.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const signing = [time.slice(0, 8), region, 's3', 'aws4_request'].reduce<string | Buffer>((k, part) => hmac(k, part), `AWS4${secret}`);
  const signature = createHmac('sha256', signing).update(['AWS4-HMAC-SHA256', time, scope, createHash('sha256').update(canonical).digest('hex')].join('\n')).digest('hex');
  return get(target.href, { ...headers, Authorization: `AWS4-HMAC-SHA256 Credential=${id}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` });
}

async function fetchBytes(url: string): Promise<Buffer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchOnce(url);
    } catch (error) {
      if (attempt === FETCH_ATTEMPTS) throw new Error(`cannot fetch ${shown(url)}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
    }
  }
}

/** Fetches one part of the code package, refused unless its bytes have the sha256 the command gave. */
async function fetchChecked(url: string, sha: string, what: string): Promise<Buffer> {
  const bytes = await fetchBytes(url);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha) throw new Error(`the ${what} at ${shown(url)} has sha256 ${actual}, not ${sha}: refusing to run it`);
  return bytes;
}

/** Writes the packaged files (runtime's packFiles: gzip of a `[[path, size], ...]` line, then the bytes) under `dir`. */
function unpackFiles(archive: Buffer, dir: string): void {
  const data = gunzipSync(archive);
  const newline = data.indexOf(10);
  let offset = newline + 1;
  for (const [path, size] of JSON.parse(data.subarray(0, newline).toString('utf8')) as Array<[string, number]>) {
    const target = resolvePath(dir, path);
    if (!target.startsWith(`${dir}${sep}`)) throw new Error(`the code package's file ${path} is outside the task's directory`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data.subarray(offset, offset + size));
    offset += size;
  }
}

/** The word `finish` reads for a task this process stopped at its @timeout (runtime's `timedOutAfter`). */
const TIMED_OUT = 'timed-out-after-';

/**
 * Runs the task, copying each stream to this process's own and to a file; resolves with how it ended: its exit
 * code, the signal that ended it, or TIMED_OUT with the seconds it was given.
 */
function runTask(bundle: string, taskArgs: string[], dir: string, logs: { stdout: string; stderr: string }, timeoutSeconds: number | undefined): Promise<string> {
  const child = spawn(process.execPath, [bundle, ...taskArgs], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let timedOut = false;
  const timer =
    timeoutSeconds === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutSeconds * 1000);
  const copies = (['stdout', 'stderr'] as const).map((stream) => {
    const file = createWriteStream(logs[stream]);
    child[stream].on('data', (chunk: Buffer) => {
      file.write(chunk);
      process[stream].write(chunk);
    });
    return new Promise((resolve) => child[stream].on('end', () => file.end(resolve)));
  });
  // A backend stops a job with SIGTERM: the task gets it, then its logs are still saved.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve(`could not start: ${error.message}`));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      void Promise.all(copies).then(() => resolve(timedOut ? `${TIMED_OUT}${timeoutSeconds}` : (signal ?? String(code))));
    });
  });
}

interface Manifest {
  code: { url: string; sha: string };
  map: string;
  files?: { url: string; sha: string };
  environment?: { url: string; sha: string };
}

async function main(): Promise<void> {
  const [manifestUrl, manifestSha, ...taskArgs] = process.argv.slice(1) as [string, string, ...string[]];
  const dir = mkdtempSync(join(tmpdir(), 'flowkit-task-'));
  // The task's working directory holds the packaged files alone: none of them can clash with the bundle or the logs.
  const work = join(dir, 'work');
  mkdirSync(work);
  try {
    const manifest = JSON.parse((await fetchChecked(manifestUrl, manifestSha, "code package's manifest")).toString('utf8')) as Manifest;
    const bundle = join(dir, `${manifest.code.sha}.cjs`);
    writeFileSync(bundle, await fetchChecked(manifest.code.url, manifest.code.sha, 'code package'));
    if (manifest.files) unpackFiles(await fetchChecked(manifest.files.url, manifest.files.sha, "code package's files"), work);
    if (manifest.environment) {
      const environment = join(dir, 'environment');
      unpackFiles(await fetchChecked(manifest.environment.url, manifest.environment.sha, "step's environment"), environment);
      // runtime's MODULE_SCOPE_VAR: the scope the scheduler gave, its directory now this one.
      process.env.FLOWKIT_STEP_MODULES = JSON.stringify({ ...JSON.parse(process.env.FLOWKIT_STEP_MODULES ?? '{}'), dir: environment });
    }
    // The source map only turns stack traces back into the flow's own lines: a task runs without it.
    await fetchBytes(manifest.map).then((map) => writeFileSync(`${bundle}.map`, map), () => undefined);
    const logs = { stdout: join(dir, 'stdout.log'), stderr: join(dir, 'stderr.log') };
    const timeout = Number(process.env.FLOWKIT_TASK_TIMEOUT_SECONDS);
    const exit = await runTask(bundle, taskArgs, work, logs, timeout > 0 ? timeout : undefined);
    // In the task's directory: the records it kept under its scratch root there are what `finish` saves.
    const finish = spawn(process.execPath, [bundle, 'finish', logs.stdout, logs.stderr, exit, ...taskArgs], { cwd: work, stdio: 'inherit' });
    const saved = await new Promise<number | null>((resolve) => finish.once('exit', resolve).once('error', () => resolve(null)));
    if (saved !== 0) process.stderr.write('FlowKit bootstrap: the task ended but its logs and records could not be saved.\n');
    const signal = constants.signals[exit as keyof typeof constants.signals];
    // A timeout exits as timeout(1) does.
    process.exitCode = exit.startsWith(TIMED_OUT) ? 124 : signal !== undefined ? 128 + signal : /^\d+$/.test(exit) ? Number(exit) : 127;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  process.stderr.write(`FlowKit bootstrap: ${error.message}\n`);
  process.exitCode = 1;
});
