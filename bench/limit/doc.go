// Package limit is the benchmark's "physical limit": the cheapest server that completes
// the same wire exchange as sockgate on the same stack (net/http, gorilla/websocket with
// the same buffer sizes and write buffer pool). Every sockgate figure is read against it.
//
// It answers handshakes with canned packets (websocket-only, and polling then upgrade),
// joins the rooms named in the handshake query on "40", answers 42<id>["echo",P] with
// 43<id>[P] by slicing bytes, and serves 42["bcast","room",P] by building one
// PreparedMessage 42["m",P] and writing it to every other member of the room's flat
// slice, inline. It has no namespaces, middleware, event dispatch, per-connection timers
// or pong checks: one ticker pings every connection with one shared prepared frame.
//
// # Concurrency
//
// One reader goroutine per websocket, started after the upgrade (the HTTP handler
// returns); writes to a connection are serialized by its mutex, and a broadcast writes
// from the sender's reader goroutine while holding the room table's read lock. Every
// write has a deadline. Close ends every goroutine the server started.
package limit
