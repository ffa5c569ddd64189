// Package gen is the load generator: it opens Engine.IO v4 / Socket.IO v5 sessions with
// raw frames (package wsclient, package proto), runs one benchmark scenario against a
// server, and writes one JSON [Result] per measured step.
//
// Scenarios (the parameters are in [Options]; [Defaults] gives the full and quick sets):
//
//   - idle: websocket sessions opened in steps up to the process limit; before the first
//     and at each step the server is asked to collect garbage (GET /__bench/mem) and its
//     RSS is read from /proc; the slope of RSS over sessions is the memory per
//     connection, and each step also gives its growth over the first reading per session.
//   - bcast: receivers join rooms of several sizes (through the handshake query); one
//     sender asks for broadcasts (42["bcast",room,P]) at open-loop rates; receivers
//     record the latency from the scheduled send time carried in P.
//   - ack: closed loops of 42<id>["echo",P] and 43<id>[P] at several client counts, then
//     one open-loop step at a fixed rate.
//   - storm-ws, storm-poll: sessions opened as fast as a fixed number in flight allows,
//     over websocket only, or over polling then upgraded.
//   - slow: a broadcast room in which one receiver stops reading half way.
//   - idle-poll, ack-poll, bcast-poll: idle, closed-loop acks and the broadcast ladder
//     with sessions that never leave HTTP long-polling. Each such session has its own
//     lean client: one keep-alive connection for its GETs, one outstanding at a time,
//     and one for its POSTs (its packets and its pongs), both bounded by deadlines.
//
// Every step reports the server's CPU time per operation (user and system, from
// /proc/<pid>/stat) and the generator's own CPU use; a step where the generator was
// more than 90 % busy, or could not keep its schedule, is flagged GenBound.
//
// # Concurrency
//
// [Run] starts one goroutine per open session plus a few per scenario, and returns only
// after all of them have ended and every connection is closed.
package gen
