// driver.mjs runs the official socket.io-client on behalf of a Go test.
//
// It reads one JSON command per line on stdin and writes one JSON object per line on
// stdout: the result of every command ({"type":"result","id":N,"value":...} or
// {"type":"result","id":N,"error":"..."}) and a record of everything the client's
// listeners see ({"type":"record","seq":N,"source":"socket"|"manager"|"engine",
// "target":NAME,"event":NAME,"args":[...]}, with "user":true for events the server
// emitted and "ack":true when it asked for an acknowledgement). Binary values cross the
// line boundary as {"$bin":"<base64>"} in both directions, at any depth.
//
// The command set is documented in ../README.md. The process ends when stdin closes.

import { Manager } from "socket.io-client";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";

const clientVersion = createRequire(import.meta.url)("socket.io-client/package.json").version;

const managers = new Map(); // name -> { manager, sockets: Set<name>, trace, engines }
const sockets = new Map(); // name -> { socket, manager: name, replies: Map<event, rule> }
let seq = 0;

function write(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function isBinary(v) {
  return Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function toBuffer(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

// toWire turns what the client handed us into JSON, binaries as {"$bin": base64}.
function toWire(v) {
  if (v === undefined || typeof v === "function") return null;
  if (v === null || typeof v !== "object") return v;
  if (isBinary(v)) return { $bin: toBuffer(v).toString("base64") };
  if (Array.isArray(v)) return v.map(toWire);
  if (v instanceof Error) return errorToWire(v);
  if (typeof v.toJSON === "function") return v.toJSON();
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    if (x !== undefined && typeof x !== "function") out[k] = toWire(x);
  }
  return out;
}

// fromWire is toWire's inverse: {"$bin": base64} objects become Buffers.
function fromWire(v) {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(fromWire);
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === "$bin" && typeof v.$bin === "string") {
    return Buffer.from(v.$bin, "base64");
  }
  const out = {};
  for (const k of keys) out[k] = fromWire(v[k]);
  return out;
}

// errorToWire keeps what socket.io puts on its errors: message, data (CONNECT_ERROR
// payload), type and description (transport failures).
function errorToWire(err) {
  if (!(err instanceof Error)) return toWire(err);
  const out = { message: err.message };
  if (err.data !== undefined) out.data = toWire(err.data);
  if (err.type !== undefined) out.type = String(err.type);
  if (err.description !== undefined) out.description = describe(err.description);
  return out;
}

// describe flattens the "description" socket.io attaches to close and error events; it
// may be an Error, an event object of the websocket library, or a number.
function describe(d) {
  if (d === undefined || d === null) return null;
  if (d instanceof Error) return { message: d.message };
  if (typeof d !== "object") return d;
  const out = {};
  for (const k of ["message", "type", "code", "reason", "description"]) {
    if (d[k] !== undefined && typeof d[k] !== "object") out[k] = d[k];
  }
  if (d.description !== undefined && typeof d.description === "object") {
    out.description = describe(d.description);
  }
  if (d.context && typeof d.context === "object") {
    if (d.context.status !== undefined) out.status = d.context.status;
  }
  return out;
}

function record(source, target, event, args, extra) {
  write({ type: "record", seq: seq++, source, target, event, args, ...extra });
}

function socketInfo(socket) {
  const engine = socket.io.engine;
  return {
    id: socket.id ?? null,
    connected: socket.connected,
    active: socket.active,
    recovered: !!socket.recovered,
    engineId: engine?.id ?? null,
    transport: engine?.transport?.name ?? null,
    managerState: socket.io._readyState,
  };
}

// watchEngine records the engine's transport changes (and, with trace, every Engine.IO
// packet) for the engine a manager has just created.
function watchEngine(name, entry) {
  const engine = entry.manager.engine;
  if (!engine || entry.engines.has(engine)) return;
  entry.engines.add(engine);
  engine.on("upgrade", (t) => record("engine", name, "upgrade", [t.name]));
  engine.on("upgradeError", (err) => record("engine", name, "upgradeError", [errorToWire(err)]));
  engine.on("close", (reason, desc) => record("engine", name, "close", [reason, describe(desc)]));
  if (entry.trace) {
    engine.on("packet", (p) => record("engine", name, "packet", [p.type, toWire(p.data ?? null)]));
    engine.on("packetCreate", (p) => record("engine", name, "packetCreate", [p.type, toWire(p.data ?? null)]));
  }
}

const MANAGER_EVENTS = ["open", "error", "close", "ping", "reconnect_attempt", "reconnect", "reconnect_error", "reconnect_failed"];

function newManager(name, url, opts, trace) {
  const manager = new Manager(url, opts);
  const entry = { manager, sockets: new Set(), trace, engines: new WeakSet() };
  managers.set(name, entry);
  for (const ev of MANAGER_EVENTS) {
    manager.on(ev, (...args) => {
      record("manager", name, ev, args.map((a) => (a instanceof Error ? errorToWire(a) : describeArg(a))));
      if (ev === "open") watchEngine(name, entry);
    });
  }
  // The constructor has already opened the first engine; later engines are caught on
  // "reconnect_attempt" (just before they are created) and "open".
  watchEngine(name, entry);
  manager.on("reconnect_attempt", () => queueMicrotask(() => watchEngine(name, entry)));
  return entry;
}

function describeArg(a) {
  if (a === null || a === undefined) return null;
  if (typeof a !== "object") return a;
  return describe(a);
}

const SOCKET_OPTION_KEYS = ["auth", "retries", "ackTimeout"];

function cmdConnect(c) {
  if (!c.socket) throw new Error("connect: socket name missing");
  if (sockets.has(c.socket)) throw new Error(`connect: socket ${c.socket} exists`);
  const opts = { ...(c.options || {}) };
  const socketOpts = {};
  for (const k of SOCKET_OPTION_KEYS) {
    if (k in opts) {
      socketOpts[k] = fromWire(opts[k]);
      delete opts[k];
    }
  }
  const mname = c.manager || c.socket;
  let entry = managers.get(mname);
  if (!entry) {
    if (!c.url) throw new Error("connect: url missing");
    entry = newManager(mname, c.url, opts, !!c.trace);
  }
  const nsp = c.namespace || "/";
  if (entry.manager.nsps[nsp]) {
    throw new Error(`connect: manager ${mname} already has a socket for ${nsp}`);
  }
  const socket = entry.manager.socket(nsp, socketOpts);
  const s = { socket, manager: mname, replies: new Map() };
  sockets.set(c.socket, s);
  entry.sockets.add(c.socket);
  const name = c.socket;
  socket.on("connect", () => record("socket", name, "connect", [], { info: socketInfo(socket) }));
  socket.on("connect_error", (err) => record("socket", name, "connect_error", [errorToWire(err)], { info: socketInfo(socket) }));
  socket.on("disconnect", (reason, desc) => record("socket", name, "disconnect", [reason, describe(desc)], { info: socketInfo(socket) }));
  socket.onAny((event, ...args) => {
    let ack = null;
    if (args.length && typeof args[args.length - 1] === "function") ack = args.pop();
    record("socket", name, event, args.map(toWire), { user: true, ack: !!ack });
    if (!ack) return;
    const rule = s.replies.get(event);
    if (!rule) return;
    if (rule.echo) ack(...args);
    else ack(...fromWire(rule.args || []));
  });
  return { manager: mname };
}

function getSocket(c) {
  const s = sockets.get(c.socket);
  if (!s) throw new Error(`unknown socket ${JSON.stringify(c.socket)}`);
  return s;
}

function cmdEmit(c) {
  const { socket } = getSocket(c);
  const args = fromWire(c.args || []);
  let target = socket;
  if (c.volatile) target = target.volatile;
  target.emit(c.event, ...args);
  return null;
}

// cmdEmitWithAck uses the callback form of socket.timeout(ms).emit, the mechanism under
// emitWithAck, so that every argument of the acknowledgement is reported, not the first.
function cmdEmitWithAck(c, done) {
  const { socket } = getSocket(c);
  const args = fromWire(c.args || []);
  const timeout = c.timeout ?? 5000;
  socket.timeout(timeout).emit(c.event, ...args, (err, ...res) => {
    if (err) done({ error: err.message });
    else done({ value: res.map(toWire) });
  });
}

function cmdReply(c) {
  const s = getSocket(c);
  if (c.off) s.replies.delete(c.event);
  else s.replies.set(c.event, { echo: !!c.echo, args: c.args || [] });
  return null;
}

function cmdClose(c) {
  const entry = managers.get(c.manager);
  if (!entry) return null; // already closed: closing is idempotent
  for (const name of entry.sockets) {
    sockets.get(name)?.socket.disconnect();
    sockets.delete(name);
  }
  entry.manager.disconnect();
  entry.manager.removeAllListeners();
  managers.delete(c.manager);
  return null;
}

// countBuffers counts the Buffers in a decoded value, for the codec's self-test.
function countBuffers(v) {
  if (Buffer.isBuffer(v)) return 1;
  if (v === null || typeof v !== "object") return 0;
  return Object.values(v).reduce((n, x) => n + countBuffers(x), 0);
}

const handlers = {
  ping: () => "pong",
  // roundtrip decodes args as an emit would and encodes them back as a record would.
  roundtrip: (c) => {
    const v = fromWire(c.args || []);
    return { args: toWire(v), buffers: countBuffers(v) };
  },
  connect: cmdConnect,
  emit: cmdEmit,
  reply: cmdReply,
  info: (c) => socketInfo(getSocket(c).socket),
  disconnect: (c) => {
    getSocket(c).socket.disconnect();
    return null;
  },
  open: (c) => {
    getSocket(c).socket.connect();
    return null;
  },
  // drop closes the manager's Engine.IO connection as a lost network would: the server
  // sees "transport close" and the client reconnects by itself.
  drop: (c) => {
    getSocket(c).socket.io.engine.close();
    return null;
  },
  close: cmdClose,
};

function handle(line) {
  let c;
  try {
    c = JSON.parse(line);
  } catch (err) {
    write({ type: "log", message: `bad command line: ${err.message}` });
    return;
  }
  const done = (r) => write({ type: "result", id: c.id, ...r });
  try {
    if (c.cmd === "emitWithAck") {
      cmdEmitWithAck(c, done);
      return;
    }
    const h = handlers[c.cmd];
    if (!h) throw new Error(`unknown command ${JSON.stringify(c.cmd)}`);
    done({ value: h(c) ?? null });
  } catch (err) {
    done({ error: err.message });
  }
}

process.on("uncaughtException", (err) => {
  write({ type: "log", message: `uncaught exception: ${err.stack || err}` });
});

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", handle);
rl.on("close", () => {
  for (const name of [...managers.keys()]) cmdClose({ manager: name });
  process.exit(0);
});
write({ type: "ready", node: process.version, client: clientVersion });
