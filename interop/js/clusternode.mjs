// A Node socket.io 4.8 server joined to a Redis cluster with one of the official Node
// adapters, for the cluster interop tests (interop/cluster_test.go). It is the "Node
// node" next to sockgate nodes on the same Redis.
//
// Usage: node js/clusternode.mjs --redis redis://127.0.0.1:6379 --adapter classic|sharded|streams
//        [--key socket.io] [--name N] [--requests-timeout 2000] [--specific-response]
//        [--sharded-mode static|dynamic|dynamic-private] [--recovery]
//        [--redis-cluster host:port,host:port,...] [--stream-count 1]
// Prints {"type":"listening","port":N} once it accepts connections, then reads one JSON
// command per line on stdin, {"id":1,"op":"...",...}, and answers each with
// {"type":"result","id":1,"value":...} or {"type":"result","id":1,"error":"..."}.
// Server-side emits it receives are reported as {"type":"sse","args":[...]}. --recovery
// turns connection state recovery on (2 minutes, middleware skipped).
//
// Namespaces "/" and "/chat" behave alike: every socket joins "room1" on connection and
// gets data {server: <name>}; the server-side event "ping" is acknowledged with
// "pong-from-<name>" (the event "hold" never is); a client event "broadcast" makes the
// socket broadcast ("from-socket", ...args) to the others (socket.broadcast.emit).
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { Server } from "socket.io";
import { createClient, createCluster } from "redis";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createAdapter as createStreamsAdapter } from "@socket.io/redis-streams-adapter";

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const redisURL = option("redis", "redis://127.0.0.1:6379");
const kind = option("adapter", "classic");
const key = option("key", "socket.io");
const name = option("name", "N");
const requestsTimeout = Number(option("requests-timeout", "2000"));
const shardedMode = option("sharded-mode", "dynamic");
const specific = process.argv.includes("--specific-response");
const recovery = process.argv.includes("--recovery");

const write = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

// Binary values travel as {"$bin": base64} in the control channel, as in driver.mjs.
function toWire(v) {
  if (Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
    return { $bin: Buffer.from(v.buffer ? v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) : v).toString("base64") };
  }
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toWire(x)]));
  return v;
}
function fromWire(v) {
  if (Array.isArray(v)) return v.map(fromWire);
  if (v && typeof v === "object") {
    if (typeof v.$bin === "string" && Object.keys(v).length === 1) return Buffer.from(v.$bin, "base64");
    if (typeof v.$date === "string" && Object.keys(v).length === 1) return new Date(v.$date);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromWire(x)]));
  }
  return v;
}

// --redis-cluster host:port,... joins a Redis Cluster (sharded adapter) instead.
const clusterNodes = option("redis-cluster", "");
const pub = clusterNodes
  ? createCluster({ rootNodes: clusterNodes.split(",").map((a) => ({ url: `redis://${a}` })), defaults: { name: `sockgate-interop-${name}` } })
  : createClient({ url: redisURL, name: `sockgate-interop-${name}` });
const sub = pub.duplicate();
pub.on("error", (e) => write({ type: "log", message: `redis pub: ${e}` }));
sub.on("error", (e) => write({ type: "log", message: `redis sub: ${e}` }));
await Promise.all([pub.connect(), sub.connect()]);

let adapter;
if (kind === "classic") {
  adapter = createAdapter(pub, sub, { key, requestsTimeout, publishOnSpecificResponseChannel: specific });
} else if (kind === "sharded") {
  adapter = createShardedAdapter(pub, sub, { channelPrefix: key, subscriptionMode: shardedMode });
} else if (kind === "streams") {
  adapter = createStreamsAdapter(pub, { streamName: key, channelPrefix: key, streamCount: Number(option("stream-count", "1")) });
} else {
  throw new Error(`unknown adapter ${kind}`);
}

const httpServer = createServer();
const io = new Server(httpServer, {
  adapter,
  cors: { origin: "*" },
  ...(recovery ? { connectionStateRecovery: { maxDisconnectionDuration: 120000, skipMiddlewares: true } } : {}),
});

function setup(nsp) {
  nsp.on("connection", (socket) => {
    socket.join("room1");
    socket.data = { server: name };
    socket.on("broadcast", (...args) => socket.broadcast.emit("from-socket", ...args));
  });
  nsp.on("ping", (...args) => {
    const cb = args.pop();
    write({ type: "sse", nsp: nsp.name, args: toWire(args) });
    cb(`pong-from-${name}`);
  });
  nsp.on("hold", (...args) => {
    args.pop();
    write({ type: "sse", nsp: nsp.name, args: toWire(["hold", ...args]) });
  });
  nsp.on("note", (...args) => write({ type: "sse", nsp: nsp.name, args: toWire(["note", ...args]) }));
}
setup(io.of("/"));
setup(io.of("/chat"));

function select(nsp, c) {
  let op = nsp;
  if (c.rooms && c.rooms.length) op = op.to(c.rooms);
  if (c.except && c.except.length) op = op.except(c.except);
  if (c.volatile) op = op.volatile;
  if (c.compress === false) op = op.compress(false);
  if (c.local) op = op.local;
  if (c.timeout) op = op.timeout(c.timeout);
  return op;
}

function describe(s) {
  return { id: s.id, rooms: [...s.rooms], data: s.data, handshake: s.handshake };
}

const ops = {
  async emit(nsp, c) {
    select(nsp, c).emit(c.event, ...fromWire(c.args || []));
    return true;
  },
  async emitWithAck(nsp, c) {
    const t0 = Date.now();
    const acks = await select(nsp, c).emitWithAck(c.event, ...fromWire(c.args || []));
    return { acks: toWire(acks), ms: Date.now() - t0 };
  },
  async fetchSockets(nsp, c) {
    const t0 = Date.now();
    const sockets = await select(nsp, c).fetchSockets();
    return { sockets: toWire(sockets.map(describe)), ms: Date.now() - t0 };
  },
  async remoteEmit(nsp, c) {
    const sockets = await select(nsp, c).fetchSockets();
    for (const s of sockets) s.emit(c.event, ...fromWire(c.args || []));
    return sockets.length;
  },
  async remoteJoin(nsp, c) {
    const sockets = await select(nsp, c).fetchSockets();
    for (const s of sockets) s.join(c.room);
    return sockets.length;
  },
  async socketsJoin(nsp, c) {
    select(nsp, c).socketsJoin(c.target);
    return true;
  },
  async socketsLeave(nsp, c) {
    select(nsp, c).socketsLeave(c.target);
    return true;
  },
  async disconnectSockets(nsp, c) {
    select(nsp, c).disconnectSockets(!!c.close);
    return true;
  },
  async serverSideEmit(nsp, c) {
    nsp.serverSideEmit(...fromWire(c.args));
    return true;
  },
  async serverSideEmitWithAck(nsp, c) {
    const t0 = Date.now();
    try {
      const replies = await nsp.serverSideEmitWithAck(...fromWire(c.args));
      return { replies: toWire(replies), ms: Date.now() - t0 };
    } catch (err) {
      return { error: String(err.message || err), ms: Date.now() - t0 };
    }
  },
  async serverCount(nsp) {
    return await nsp.adapter.serverCount();
  },
  async uid(nsp) {
    return nsp.adapter.uid;
  },
  async allRooms(nsp) {
    const t0 = Date.now();
    const rooms = await nsp.adapter.allRooms();
    return { rooms: [...rooms], ms: Date.now() - t0 };
  },
  async localRooms(nsp, c) {
    const s = nsp.sockets.get(c.sid);
    return s ? [...s.rooms] : null;
  },
};

const rl = createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  let c;
  try {
    c = JSON.parse(line);
  } catch {
    return;
  }
  try {
    const fn = ops[c.op];
    if (!fn) throw new Error(`unknown op ${c.op}`);
    const value = await fn(io.of(c.nsp || "/"), c);
    write({ type: "result", id: c.id, value: value === undefined ? null : value });
  } catch (err) {
    write({ type: "result", id: c.id, error: String((err && err.message) || err) });
  }
});
rl.on("close", async () => {
  io.close();
  await Promise.allSettled([pub.quit(), sub.quit()]);
  process.exit(0);
});

httpServer.listen(0, "127.0.0.1", () => write({ type: "listening", port: httpServer.address().port }));
