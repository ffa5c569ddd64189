// Package gateway is the sockgate runtime: a Socket.IO v5 server ([Server], an
// http.Handler), its namespaces, sockets, rooms, broadcasts and acknowledgements.
//
// The API follows Node's socket.io in Go form. A minimal server:
//
//	srv, err := gateway.NewServer(gateway.Config{})
//	if err != nil { ... }
//	srv.OnConnection(func(s *gateway.Socket) {
//		s.On("hello", func(e *gateway.Event) {
//			_ = e.Ack("world")
//		})
//	})
//	http.ListenAndServe(":3000", srv)
//
// Gateways declared as structs (package decorators) and the fx module (package di) are
// built on this package.
//
// # Configuration
//
// [Config] is plain data whose zero value gives socket.io's defaults; pluggable parts
// (adapter, logger, the [Observer] that metrics are taken from) are [Option] values.
//
// # Logs and metrics
//
// The server logs through log/slog ([WithLogger]); its records about a socket carry the
// attributes namespace, socket (the socket id) and, about an event, event. An [Observer]
// given with [WithObserver] is told of connections, events and their handling time,
// acknowledgements, errors, rate-limit refusals, slow consumers and adapter requests;
// package metrics records them in Prometheus.
//
// # Errors
//
// [Error] is the only error type whose message reaches clients, with a closed set of
// [Code] values. A failed event is reported through its acknowledgement, when one was
// asked for, and always with an "exception" event carrying an [ErrorBody].
//
// # Limits
//
// Events are limited per socket and event by token buckets: a gateway method's `rate:` tag,
// its gateway's `rate:`, [Namespace.SetEventRate] or [Config].EventRate, in that order
// (syntax: decorators.ParseRate). An event over its limit is not handled and is answered
// with [CodeResourceExhausted]; a socket refused more than [Config].MaxRateRefusals times
// in [Config].RateRefusalWindow is disconnected with [ReasonRateLimited]. An acknowledged
// event that no handler takes is answered with [CodeNotFound]. A connection whose write
// queue ([Config].WriteQueueSize, also the bound of what waits for a CONNECT reply)
// overflows is closed with [ReasonSlowConsumer]. The children of a pattern namespace are
// removed when their last socket leaves, and a pattern holds at most
// [Config].MaxChildNamespaces of them. [Socket.DisconnectAfter] ends a socket at a
// deadline, as package auth does when a token expires.
//
// # Connection state recovery
//
// With [Config].ConnectionStateRecovery set, a socket whose connection is lost keeps its
// id, rooms and data for a while, and a client that reconnects in time gets them back
// with the events it missed ([Socket.Recovered]), as socket.io 4.6 does; see
// [ConnectionStateRecovery]. The namespace's adapter keeps the state
// (adapter.SessionStore).
//
// # Concurrency
//
// Every method of Server, Namespace, Socket, ParentNamespace and BroadcastOperator is safe
// for concurrent use.
//
//   - Each connection has one reader goroutine (websocket) or is read by the request that
//     carries its data (polling). Rate limits are checked there, before an event is
//     queued.
//   - One socket's events, its connect middleware and its disconnect handlers run one at a
//     time, in arrival order, on a goroutine it holds only while work is waiting (taken
//     from the server's pool of worker goroutines, which end after 100 ms idle);
//     different sockets run in parallel. Events wait until the middleware and connect
//     hooks have finished.
//   - Each connection has one writer fed by a bounded queue; a Socket.IO packet and its
//     binary attachments are queued as one unit. Emits never block; a connection whose
//     queue is full is closed as a slow consumer.
//   - A broadcast is encoded once; every recipient is handed the same frames.
package gateway
