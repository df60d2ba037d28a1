'use strict';
// The process behind S3TestServer (s3server.ts): s3rver on 127.0.0.1 behind a small proxy that can answer
// 503 SlowDown, be stopped and come back on the same port. Its own process, so a test process that blocks
// (a synchronous read waits in Atomics.wait) never blocks the server. Commands arrive over IPC.
const { createServer, request } = require('node:http');
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

async function up() {
  s3rver = new S3rver({ address: '127.0.0.1', port: backendPort, silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  backendPort = (await s3rver.run()).port;
  proxy = createServer((req, res) => {
    const entry = { method: req.method, path: req.url, status: 0 };
    requests.push(entry);
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
