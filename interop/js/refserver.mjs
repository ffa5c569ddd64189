// Reference socket.io 4.8 server for the Go client's behaviour table (client/*_test.go).
// Its handlers mirror the sockgate test server of those tests, so that one table runs
// against both.
//
// Usage: node js/refserver.mjs [--port N] [--ping-interval MS] [--ping-timeout MS]
//        [--transports polling,websocket] [--recovery]
// Each flag may also come from the environment: REFSERVER_PORT, REFSERVER_PING_INTERVAL,
// REFSERVER_PING_TIMEOUT, REFSERVER_TRANSPORTS. Port 0 (the default) picks a free port.
// Prints "listening <port>" on stdout once it accepts connections.
//
// Namespaces "/" and "/chat" behave alike:
//   - middleware: auth {token: "bad"} is refused with message "not authorized" and data
//     {reason: "bad token"};
//   - on connection: emit "welcome" {nsp, auth, query, header}: the auth payload, the
//     "room" query parameter and the X-Test header of the handshake;
//   - "echo" (...args): acknowledged with the same arguments when an ack is asked for,
//     otherwise emitted back as "echo" with the same arguments;
//   - "ask" (...args): emitWithAck "question" with the same arguments to the client, then
//     emit "answer" with the client's acknowledgement;
//   - "hold": never acknowledged;
//   - "disconnect-me": socket.disconnect() (the client sees "io server disconnect");
//   - "drop-me": the Engine.IO connection is closed without a DISCONNECT packet (the
//     client sees "transport close" and reconnects);
//   - "stop-pinging": the server stops pinging this connection (the client must detect it);
//   - "drop-and-broadcast": as "drop-me", then emit "missed" to the whole namespace while
//     the client is away (with --recovery, which turns connection state recovery on, the
//     client gets it on its recovered session).
// Other namespaces are refused by socket.io ("Invalid namespace").
import { createServer } from "node:http";
import { Server } from "socket.io";

function option(name, env, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  return process.env[env] ?? fallback;
}

const port = Number(option("port", "REFSERVER_PORT", "0"));
const pingInterval = Number(option("ping-interval", "REFSERVER_PING_INTERVAL", "25000"));
const pingTimeout = Number(option("ping-timeout", "REFSERVER_PING_TIMEOUT", "20000"));
const transports = option("transports", "REFSERVER_TRANSPORTS", "polling,websocket").split(",");
const recovery = process.argv.includes("--recovery") || process.env.REFSERVER_RECOVERY === "1";

const httpServer = createServer();
const io = new Server(httpServer, {
  pingInterval,
  pingTimeout,
  transports,
  cors: { origin: "*" },
  ...(recovery ? { connectionStateRecovery: { maxDisconnectionDuration: 60000 } } : {}),
});

function setup(nsp) {
  nsp.use((socket, next) => {
    if (socket.handshake.auth && socket.handshake.auth.token === "bad") {
      const err = new Error("not authorized");
      err.data = { reason: "bad token" };
      return next(err);
    }
    next();
  });
  nsp.on("connection", (socket) => {
    socket.emit("welcome", {
      nsp: socket.nsp.name,
      auth: socket.handshake.auth,
      query: socket.handshake.query.room ?? "",
      header: socket.handshake.headers["x-test"] ?? "",
    });

    socket.on("echo", (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      if (ack) ack(...args);
      else socket.emit("echo", ...args);
    });

    socket.on("ask", async (...args) => {
      try {
        const reply = await socket.timeout(5000).emitWithAck("question", ...args);
        socket.emit("answer", reply);
      } catch (err) {
        socket.emit("answer-error", err.message);
      }
    });

    socket.on("hold", () => {});

    socket.on("disconnect-me", () => socket.disconnect());

    socket.on("drop-me", () => socket.conn.close());

    socket.on("drop-and-broadcast", () => {
      socket.conn.close();
      setTimeout(() => nsp.emit("missed", "while away"), 0);
    });

    socket.on("stop-pinging", () => {
      // engine.io keeps its heartbeat in these two timers; with both gone and null, no
      // ping is sent and none is expected.
      const conn = socket.conn;
      clearTimeout(conn.pingIntervalTimer);
      clearTimeout(conn.pingTimeoutTimer);
      conn.pingIntervalTimer = null;
      conn.pingTimeoutTimer = null;
    });
  });
}

setup(io.of("/"));
setup(io.of("/chat"));

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});

// The test kills the process by its pid; closing stdin also ends it, so that an orphaned
// server does not outlive a crashed test binary.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
