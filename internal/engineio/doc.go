// Package engineio implements the server side of Engine.IO protocol v4
// (query EIO=4): sessions over HTTP long-polling and websocket (the opening
// handshake by gorilla/websocket, the frames written and read here), the
// server-driven heartbeat, and the upgrade from polling to websocket.
//
// A [Server] is an http.Handler for one path; the caller routes requests to
// it. Each session is a [Conn]; the layer above receives its events through a
// [Handler] and writes with [Conn.Send], passing [Message] values that are
// encoded once and may be shared by any number of sessions.
//
// # Codec
//
// The packet and payload codecs live in internal/eiocodec, shared with the
// Go client, which so links none of the server. [ErrorBody] is the JSON body
// of refused requests.
//
// # Sessions
//
// A polling session has at most one GET and one POST in flight; a GET parks
// until something is queued and then takes the whole queue as one payload. A
// websocket session writes one packet per frame. The server pings every
// PingInterval from the handshake on and closes the session when no pong
// comes within PingTimeout. An upgrade answers "2probe" with "3probe",
// releases every polling GET with a noop while it is pending, and moves the
// session (and its queue) to the websocket on "5".
//
// # Idle polling GETs leave net/http
//
// A GET that has waited one to two seconds (two ticks of a clock goroutine per server,
// which wakes every waiting GET by closing a shared channel: no timer per GET) is
// detached: its connection is hijacked, the response headers already set for it (CORS,
// those of the caller's middleware) are kept, and its socket is watched by the pollers
// below for the client closing it. The handler returns, so an idle polling session holds
// no goroutine, request or net/http buffer. Whatever would have answered the waiting GET
// (packets, the ping, the close, an upgrade's noop) is then written on the socket as a
// complete HTTP/1.1 200 response with Content-Length and "Connection: close", by a
// goroutine started for it, and the socket is closed: the client sends its next GET on a
// new connection. A client that closes the socket (or half-closes it) aborts the GET,
// which closes the session as a cancelled request does; bytes it sends meanwhile are
// dropped, and beyond 4 KiB abort the GET as well. Server.Close and Shutdown answer
// detached GETs like parked ones. GETs over TLS or HTTP/2, through a ResponseWriter
// that cannot hijack, or on systems other than Linux stay in their handler. A session
// that gets packets more often than once a second never detaches, so its GETs keep their
// keep-alive connection.
//
// # Limits
//
// Handshakes are admitted against Config.MaxConnections and, per client
// address, Config.HandshakeRate and Config.MaxPendingPerAddress (sessions the
// layer above has not reported with [Conn.Joined]); refusals are HTTP answers
// with a JSON [ErrorBody]-shaped body naming the limit. Config.JoinTimeout
// closes a session that never joins. Read buffers grow with the bytes
// received, within the server-wide Config.MaxBufferedBytes; POST bodies have
// Config.PostReadTimeout. Text that is not UTF-8 ends the session (close 1007,
// or 400). [Conn.SendReply] queues answers to the client apart from the
// write queue's bound, so that answering never makes a slow consumer.
//
// # Concurrency
//
// Every method of Server and Conn is safe for concurrent use. Per session:
//
//   - One reader. On websocket it is one of the server's pollers (on Linux,
//     one goroutine per GOMAXPROCS with its own epoll set, started with the
//     first session and stopped by Close), which reads a socket only when it
//     is readable: an idle websocket session has no goroutine and no read
//     buffer. Elsewhere, and during an upgrade's probe, a goroutine per
//     socket reads it. On polling the reader is the goroutine of the POST
//     request, of which there is one at a time (a poller watches the socket of
//     a detached GET only for its client leaving). OnMessage runs there; calls
//     for one Conn never overlap, and it must not block.
//   - One writer at a time on websocket. When nothing is queued, Send writes
//     the frames itself without blocking (one writev); what the socket does
//     not take, and what is queued meanwhile, goes to a writer goroutine
//     started on demand and ended when the queue is empty. Writes that wait
//     have a deadline. The queue is bounded: a Send that would overflow it
//     closes the session (slow consumer).
//   - One time.Timer for the heartbeat, re-armed twice per ping cycle.
//   - OnClose runs once, on a goroutine of its own that holds no lock, after
//     any OnMessage in progress.
//
// The Conn mutex guards the session state; it is never held while calling
// the Handler or while doing network i/o. The Server lock is taken after a
// Conn lock, never the other way round. Server.Close waits for every
// goroutine the package started.
package engineio
