'use strict';
// The benchmark's socket.io server: socket.io 4.8 with its default options (and bufferutil
// installed), the same protocol settings as the other servers, and the same scenario
// handlers:
//   - on connection, the socket joins the rooms listed in the handshake query "rooms";
//   - "echo" acknowledges with its argument;
//   - "bcast" (room, payload) emits "m" with the payload to the room, except the sender.
// GET /__bench/mem runs a full GC (node --expose-gc) and returns the memory counters under
// the names the Go servers use: heap is V8's heapUsed.
//
// Usage: node --expose-gc server.js --port 3000 [--host 127.0.0.1] [--redis redis://host:port]
// With --redis the server joins a cluster through Redis with @socket.io/redis-adapter
// (createAdapter), for the cluster benchmark (bench/cmd/clusterbench).

const http = require('node:http');
const { Server } = require('socket.io');

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '3000'));

const httpServer = http.createServer((req, res) => {
  if (req.url === '/__bench/mem') {
    if (typeof global.gc === 'function') global.gc();
    const m = process.memoryUsage();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({
      heap: m.heapUsed,
      heap_total: m.heapTotal,
      external: m.external,
      array_buffers: m.arrayBuffers,
      stack: 0,
      gc: typeof global.gc === 'function' ? 1 : 0,
    }));
    return;
  }
  res.writeHead(404);
  res.end();
});

const io = new Server(httpServer, {
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 1e6,
  perMessageDeflate: false,
  serveClient: false,
});

const redisURL = arg('redis', '');
if (redisURL) {
  const { createClient } = require('redis');
  const { createAdapter } = require('@socket.io/redis-adapter');
  const pub = createClient({ url: redisURL });
  const sub = pub.duplicate();
  pub.on('error', (e) => console.error('redis pub:', e.message));
  sub.on('error', (e) => console.error('redis sub:', e.message));
  Promise.all([pub.connect(), sub.connect()]).then(() => {
    io.adapter(createAdapter(pub, sub));
    console.error(`joined the cluster through ${redisURL}`);
  });
}

io.on('connection', (socket) => {
  const rooms = socket.handshake.query.rooms;
  if (rooms) socket.join(rooms.split(','));
  socket.on('echo', (payload, ack) => {
    if (typeof ack === 'function') ack(payload);
  });
  socket.on('bcast', (room, payload) => {
    socket.to(room).emit('m', payload);
  });
});

// The Go servers listen with the kernel's somaxconn (4096); Node defaults to 511.
function hasBufferutil() {
  try {
    require.resolve('bufferutil');
    return true;
  } catch {
    return false;
  }
}

httpServer.listen({ host, port, backlog: 4096 }, () => {
  console.error(`socket.io bench server on ${host}:${port}, node ${process.version}, ` +
    `bufferutil ${hasBufferutil() ? 'present' : 'absent'}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
