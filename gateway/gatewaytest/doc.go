// Package gatewaytest is a test kit for sockgate servers, in the spirit of net/http/httptest:
// [NewServer] starts a gateway.Server on a loopback port, [Dial] connects a Go client to it
// (or to any Socket.IO server), and [Client.Expect] and [Client.EmitWithAck] wait for an
// event or an acknowledgement with a deadline, failing the test with a message that names
// the event and lists what arrived instead.
//
//	func TestHello(t *testing.T) {
//		srv := gatewaytest.NewServer(t, gateway.Config{})
//		srv.OnConnection(func(s *gateway.Socket) { _ = s.Emit("hello", "world") })
//		c := srv.Dial(t, "/")
//		var got string
//		if err := c.Expect(t, "hello").Args.Decode(0, &got); err != nil || got != "world" {
//			t.Fatalf("hello %q, %v", got, err)
//		}
//	}
//
// Everything is closed by t.Cleanup. [Server.Close] stops a server abruptly, like a crash,
// and a new one can listen on the same address to test reconnection: build it with
// [NewUnstartedServer], add its handlers, then [Server.StartAt] the old Addr, so that
// clients already reconnecting find the handlers in place. [Server.DropConnections]
// simulates a network failure.
//
// # Concurrency
//
// The kit starts the server's goroutines (an httptest.Server) and the client's (see
// package client); all of them end with the test's cleanup. Expect, ExpectDisconnect and
// EmitWithAck call tb.Fatalf and must run on the test's goroutine; the other methods are
// safe for concurrent use.
package gatewaytest
