'use strict';
// The process behind S3TestServer (s3server.ts): s3rver on 127.0.0.1 behind a small proxy that can answer
// 503 SlowDown, be stopped and come back on the same port. Its own process, so a test process that blocks
// (a synchronous read waits in Atomics.wait) never blocks the server. Commands arrive over IPC.
const { createHash, createHmac } = require('node:crypto');
const { createServer, request } = require('node:http');
const { SignatureV4 } = require('@smithy/signature-v4');
const S3rver = require('s3rver');

const [directory, bucketList] = process.argv.slice(2);
const buckets = bucketList.split(',').filter(Boolean);
const SLOW_DOWN = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

const requests = [];
const sockets = new Set();
let throttled = 0;
let s3rver;
let proxy;
let backendPort = 0;
let proxyPort = 0;

/** The hash the SDK's signer takes: SHA-256, or its HMAC given a secret. */
class Sha256 {
  constructor(secret) {
    this.hash = secret ? createHmac('sha256', secret) : createHash('sha256');
  }
  update(data) {
    this.hash.update(typeof data === 'string' ? Buffer.from(data) : data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

/**
 * Whether a request's Signature V4 Authorization header is the one the AWS SDK's own signer computes for it, with
 * s3rver's secret: s3rver checks V2 signatures only. Undefined for a request not signed so.
 */
async function sigv4(req) {
  const auth = req.headers.authorization;
  const credential = auth && /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+),/.exec(auth);
  if (!credential) return undefined;
  const [, accessKeyId, region, service, signed] = credential;
  const names = signed.split(';');
  const url = new URL(req.url, `http://${req.headers.host}`);
  const date = req.headers['x-amz-date'];
  const signingDate = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
  const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey: 'S3RVER', sessionToken: req.headers['x-amz-security-token'] }, region, service, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const query = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const headers = Object.fromEntries(names.map((name) => [name, req.headers[name]]));
  const signedRequest = await signer.sign({ method: req.method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers }, { signingDate });
  return signedRequest.headers.authorization === auth ? 'valid' : 'invalid';
}

async function up() {
  s3rver = new S3rver({ address: '127.0.0.1', port: backendPort, silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  backendPort = (await s3rver.run()).port;
  proxy = createServer((req, res) => {
    const entry = { method: req.method, path: req.url, status: 0 };
    requests.push(entry);
    sigv4(req).then(
      (verdict) => verdict && (entry.sigv4 = verdict),
      (error) => (entry.sigv4 = `unchecked: ${error.message}`),
    );
    if (throttled > 0) {
      throttled--;
      entry.status = 503;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' }).end(SLOW_DOWN);
      return;
    }
    const upstream = request({ host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      entry.status = answer.statusCode;
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  proxy.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(proxyPort, '127.0.0.1', resolve);
  });
  proxyPort = proxy.address().port;
}

async function down() {
  const closing = new Promise((resolve) => proxy.close(resolve));
  for (const socket of sockets) socket.destroy();
  await closing;
  await s3rver.close();
}

const commands = {
  up: async () => (await up(), { endpoint: `http://127.0.0.1:${proxyPort}` }),
  down: async () => (await down(), {}),
  throttle: async ({ count }) => ((throttled += count), {}),
  requests: async () => ({ requests }),
};

process.on('message', async (message) => {
  try {
    process.send({ id: message.id, ...(await commands[message.command](message)) });
  } catch (error) {
    process.send({ id: message.id, error: String(error && error.stack || error) });
  }
});
process.on('disconnect', () => process.exit(0));
