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
// # Gateways
//
// A gateway is a struct that embeds decorators.Gateway (its namespace, a `use:` list of
// named pieces, a `rate:`) and declares each event in a blank decorators.Subscribe field;
// [Server.Register] finds the method by name and checks everything once, at registration:
//
//	type ChatGateway struct {
//		decorators.Gateway `namespace:"/chat" use:"jwt"`
//
//		_ decorators.Subscribe `ws:"message"`                  // method OnMessage
//		_ decorators.Subscribe `ws:"join-room" handler:"Join"` // an explicit method
//	}
//
//	func (g *ChatGateway) OnMessage(ctx context.Context, s *gateway.Socket, in Message) (Receipt, error)
//
// Without handler:, the method is "On" and the event in PascalCase ("join-room" ->
// OnJoinRoom). It must be exported, on the struct or its pointer.
//
// Parameters are recognised by type, in any order, each at most once except bodies:
//
//   - context.Context: ends when the socket disconnects;
//   - *Socket: the sender;
//   - *Event: the event itself (its name, raw arguments, Ack);
//   - [Args]: every argument as it arrived;
//   - any other type is a body: it takes the next event argument, decoded from JSON
//     (structs, pointers, strings, numbers, bools, slices, maps, []byte for a binary
//     attachment, json.RawMessage), then validated by its `validate:` tags
//     (go-playground/validator, field names as their JSON names), then passed through
//     the pipes. A missing or null argument leaves the zero value, which is validated.
//     Channels, functions, complex numbers, interfaces other than any and this package's
//     own types (an *ExecutionContext, a *Namespace...) are refused at registration.
//
// Results: none, error, T, or (T, error). When the client asked for an acknowledgement, T
// is its argument; a handler without a value still acknowledges (with no arguments), so
// that the client's emitWithAck resolves. A [Response] result is emitted to the sender as
// an event instead (then the acknowledgement, if asked for, has no arguments).
//
// What an error becomes: an [*Error] reaches the client with its code, message and
// details; a body that does not decode or validate is [CodeInvalidArgument] (one
// [FieldError] per field); any other error is logged and reaches the client as
// [CodeInternal] "internal error", so that nothing internal leaks; a panic too. It is
// delivered in the acknowledgement when one was asked for
// ({"status":"error","code":...,"message":...,"details":[...]}) and always as an
// "exception" event carrying an [ErrorBody] with the event name (Config can turn either
// off). [ErrDisconnectSocket] disconnects the socket instead.
//
// For every event: guards, then decoding, validation and pipes, then the interceptors
// around the method, then the result; errors go through the exception filters. The
// pieces come from [WithGuards], [WithPipes], [WithInterceptors], [WithExceptionFilter]
// (every gateway, outermost) and from the gateway's and the event's `use:` names
// ([WithNamed]). Guards also run on the namespace handshake.
//
// Lifecycle hooks are interfaces the compiler checks; a method named like one with another
// signature is refused:
//
//   - [OnGatewayInit]: AfterInit(n *Namespace) error, once at registration, before the
//     handlers are attached (n.Server() reaches the server); an error fails Register;
//   - [OnGatewayConnect]: OnConnect(ctx context.Context, s *Socket) error, for every
//     socket after the middleware and the gateway's guards, before the CONNECT reply; an
//     error refuses the connection (the client's connect_error carries its message, and
//     {code, details} for an *Error); what it emits or joins takes effect after the reply;
//   - [OnGatewayDisconnect]: OnDisconnect(s *Socket, reason DisconnectReason), once, after
//     the handlers of the events received before; s.Rooms() still lists the rooms the
//     socket was in (socket.io's "disconnecting"), which it has already left.
//
// Registration also refuses unknown tag keys, missing methods, unsupported signatures,
// unknown `use:` names, invalid `validate:` tags, reserved event names and a second
// handler for an event of a namespace (from any gateway); every problem is reported at
// once, each naming the type, the field or method and the tag, and nothing is attached.
//
// Discovery turns each handler into a [HandlerSpec] that the runtime executes; reflection
// builds them, and code written by `sockgate gen` registers the same specs as typed code
// ([RegisterGenerated]), checked against the tags at registration.
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
//     different sockets run in parallel. A worker that finishes one socket's work takes
//     the next socket waiting, and while sockets wait another worker is always on its
//     way, so a handler that blocks holds up only its own socket. Events wait until the
//     middleware and connect hooks have finished.
//   - Each connection has one writer fed by a bounded queue; a Socket.IO packet and its
//     binary attachments are queued as one unit. Emits never block; a connection whose
//     queue is full is closed as a slow consumer.
//   - A broadcast is encoded once; every recipient is handed the same frames.
package gateway
