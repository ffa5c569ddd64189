// Package client is a Socket.IO v5 client (Engine.IO v4) that speaks to any Socket.IO 4
// server and behaves like the JavaScript socket.io-client: HTTP long-polling with an
// upgrade to websocket (or either transport alone), namespaces multiplexed over one
// connection, events and acknowledgements in both directions, binary attachments,
// a send buffer while disconnected, heartbeat checks, and reconnection with backoff.
//
// # Connecting
//
// [Dial] connects to the namespace in the URL's path and waits for the connection:
//
//	s, err := client.Dial(ctx, "http://localhost:3000/chat", client.Options{
//		Auth: map[string]string{"token": token},
//	})
//	if err != nil { ... } // a *ConnectError when the server refused: err.Message, err.Data
//	defer s.Close()
//
// To register handlers before the connection, so that nothing the server emits on
// connection is missed, or to share one connection between namespaces, use a [Manager]:
//
//	m, err := client.New("http://localhost:3000", client.Options{})
//	chat, err := m.Socket("/chat")
//	chat.On("message", func(e *client.Event) { ... })
//	client.On(chat, "typing", func(who string) { ... }) // first argument decoded
//	err = chat.Connect(ctx)
//	defer m.Close()
//
// # Emitting
//
//	err := s.Emit("message", "hello", []byte{1, 2, 3}) // []byte travels as an attachment
//	args, err := s.EmitWithAck(ctx, "save", doc)       // the server's ack arguments
//	var n int
//	err = args.Decode(0, &n)
//	receipt, err := client.EmitWithAckAs[Receipt](ctx, s, "save", doc)
//
// An event from the server that asks for an acknowledgement is answered with
// [Event.Ack]. While a socket is not connected, emits wait in a bounded send buffer and
// are sent after the (re)connection, as in the JavaScript client; Options.DisableSendBuffer
// turns that off, and [Socket.Volatile] emits are dropped instead.
//
// # Reconnection
//
// Reconnection is on by default and follows the JavaScript client: after a lost
// connection the Manager waits ReconnectionDelay, doubled at each attempt up to
// ReconnectionDelayMax and spread by RandomizationFactor, and gives up after
// ReconnectionAttempts (zero: never). The Manager emits reconnect_attempt, reconnect_error,
// reconnect and reconnect_failed; sockets emit disconnect, connect_error and connect again:
//
//	m, err := client.New(url, client.Options{
//		ReconnectionAttempts: 10,
//		ReconnectionDelay:    500 * time.Millisecond,
//		ReconnectionDelayMax: 10 * time.Second,
//		AuthFunc: func(ctx context.Context) (any, error) { // called at every (re)connection
//			return map[string]string{"token": freshToken()}, nil
//		},
//	})
//	m.On(client.EventReconnectAttempt, func(ev client.ManagerEvent) { log.Println("attempt", ev.Attempt) })
//
// There is no reconnection after the server disconnected the socket
// ("io server disconnect") or after [Socket.Disconnect] ("io client disconnect"). The
// disconnect reasons are the JavaScript client's strings (the Reason constants). Two small
// differences: "disconnect" is emitted only by a socket that was connected, and when the
// last attempt fails, reconnect_error comes before reconnect_failed.
//
// # Concurrency
//
// Every method of Manager and Socket, and Event.Ack, is safe for concurrent use.
//
//   - Handlers (of every socket of a Manager, and of the Manager itself) run on one event
//     goroutine per Manager, one at a time, in the order the events arrived; the goroutine
//     exists only while events wait. A handler may call any method, EmitWithAck included:
//     acknowledgements are delivered by the reader, not by the event goroutine. When
//     Options.EventQueueSize events wait, the reader stops reading until handlers catch up.
//   - Each connection has one reader goroutine (the handshake, then the websocket reader
//     or the polling loop), a writer goroutine that runs only while packets are queued (a
//     Socket.IO packet and its attachments are queued as one unit), and during an upgrade
//     a probe goroutine that becomes the websocket reader. The heartbeat and the
//     reconnection delay are timers, not goroutines.
//   - Manager.Close waits for all of these goroutines, and for the handlers already
//     queued; called from a handler, it does not wait for that handler.
//   - Emit never waits for the network: it encodes the packet once and queues it.
//     EmitWithAck and Connect wait, bounded by their context.
package client
