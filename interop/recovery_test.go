package interop

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/interop/interoptest"
)

// recoveryServer is a server with connection state recovery whose sockets join "room" and
// set their data on first connection, and whose disconnections (after the session is
// kept) are reported on lost.
type recoveryServer struct {
	srv         *gateway.Server
	url         string
	middlewares atomic.Int32
	lost        chan string
	connected   chan *gateway.Socket
}

func newRecoveryServer(t *testing.T, rc gateway.ConnectionStateRecovery) *recoveryServer {
	t.Helper()
	rs := &recoveryServer{lost: make(chan string, 16), connected: make(chan *gateway.Socket, 16)}
	rs.srv, rs.url = newServer(t, gateway.Config{ConnectionStateRecovery: rc}, func(srv *gateway.Server) {
		srv.Use(func(context.Context, *gateway.Socket) error {
			rs.middlewares.Add(1)
			return nil
		})
		srv.OnConnection(func(s *gateway.Socket) {
			standard(s)
			if !s.Recovered() {
				s.Join("room")
				s.SetData("data of " + s.ID())
			}
			s.On("direct", func(e *gateway.Event) { _ = s.Emit("direct-back", e.Args) })
			s.On("ask", func(e *gateway.Event) { _ = e.Ack("answer") })
			s.OnDisconnect(func(reason gateway.DisconnectReason) { rs.lost <- string(reason) })
			rs.connected <- s
		})
	})
	return rs
}

func (rs *recoveryServer) nextSocket(t *testing.T) *gateway.Socket {
	t.Helper()
	select {
	case s := <-rs.connected:
		return s
	case <-time.After(wait):
		t.Fatal("no connection on the server")
		return nil
	}
}

func (rs *recoveryServer) nextLost(t *testing.T) string {
	t.Helper()
	select {
	case r := <-rs.lost:
		return r
	case <-time.After(wait):
		t.Fatal("the server saw no disconnection")
		return ""
	}
}

// ticks returns the numbers carried by the "tick" events received so far, and checks
// that each carries a string offset as its last argument.
func ticks(t *testing.T, c *interoptest.Socket) []float64 {
	t.Helper()
	var out []float64
	for _, r := range c.Events("tick") {
		if r.Args.Len() != 2 {
			t.Fatalf("tick %v: want [n, offset]", r.Args)
		}
		if off, ok := r.Args.Value(1).(string); !ok || off == "" {
			t.Fatalf("tick %v carries no offset", r.Args)
		}
		out = append(out, r.Args.Value(0).(float64))
	}
	return out
}

func TestConnectionStateRecovery(t *testing.T) {
	forEachMode(t, func(t *testing.T, d *interoptest.Driver, m mode) {
		rs := newRecoveryServer(t, gateway.ConnectionStateRecovery{MaxDisconnectionDuration: time.Minute})
		nsp := nsOf(rs.srv, "/")
		c, first := connect(t, d, rs.url, m, interoptest.Options{
			ReconnectionDelay: 50 * time.Millisecond, ReconnectionDelayMax: 100 * time.Millisecond,
		})
		if first.Recovered {
			t.Fatal("a first connection reports recovered")
		}
		s1 := rs.nextSocket(t)
		if err := nsp.To("room").Emit("tick", 1); err != nil {
			t.Fatal(err)
		}
		c.WaitEvent("tick", wait)

		// Acknowledgements and volatile packets carry no offset.
		if v, err := c.EmitWithAck(wait, "ask"); err != nil || v.Len() != 1 || v.Value(0) != "answer" {
			t.Fatalf("ack %v, %v", v, err)
		}

		c.DropConnection()
		if reason := rs.nextLost(t); reason != string(gateway.ReasonTransportClose) {
			t.Fatalf("server saw %q", reason)
		}
		// Missed while away: two to the room, one elsewhere, one to everybody but this
		// socket, one volatile.
		_ = nsp.To("room").Emit("tick", 2)
		_ = nsp.To("elsewhere").Emit("tick", -1)
		_ = nsp.Except(s1.ID()).Emit("tick", -2)
		_ = nsp.Volatile().Emit("tick", -3)
		_ = nsp.To("room").Emit("tick", 3)

		second := c.WaitConnect(wait)
		if !second.Recovered || second.ID != first.ID {
			t.Fatalf("after a lost connection: %+v, want recovered with id %s", second, first.ID)
		}
		s2 := rs.nextSocket(t)
		if !s2.Recovered() || s2.ID() != s1.ID() || !s2.IsInRoom("room") || s2.Data() != "data of "+s1.ID() {
			t.Fatalf("server socket after recovery: recovered=%v id=%s rooms=%v data=%v",
				s2.Recovered(), s2.ID(), s2.Rooms(), s2.Data())
		}
		if n := rs.middlewares.Load(); n != 1 {
			t.Fatalf("middleware ran %d times, want once (skipped on recovery)", n)
		}
		_ = nsp.To("room").Emit("tick", 4)
		c.WaitEvent("tick", wait) // 2
		c.WaitEvent("tick", wait) // 3
		c.WaitEvent("tick", wait) // 4
		// A direct emit carries an offset too, and comes after the replayed ticks.
		c.Emit("direct", "x")
		if r := c.WaitEvent("direct-back", wait); r.Args.Len() != 2 {
			t.Fatalf("direct-back %v: want [args, offset]", r.Args)
		}
		if got := ticks(t, c); !slices.Equal(got, []float64{1, 2, 3, 4}) {
			t.Fatalf("ticks %v, want [1 2 3 4] (each once, in order)", got)
		}
		checkTransport(t, c, m)

		// A disconnection the client asks for is not recoverable.
		c.Disconnect()
		if reason := rs.nextLost(t); reason != string(gateway.ReasonClientNamespaceDisconnect) {
			t.Fatalf("server saw %q", reason)
		}
		c.Open()
		third := c.WaitConnect(wait)
		if third.Recovered || third.ID == first.ID {
			t.Fatalf("after a client disconnect: %+v, want a new socket", third)
		}
		if s3 := rs.nextSocket(t); s3.Recovered() || s3.IsInRoom("room") != true {
			t.Fatalf("new socket: recovered=%v rooms=%v", s3.Recovered(), s3.Rooms())
		}
	})
}

// A session kept longer than MaxDisconnectionDuration is not recovered: the client gets a
// new socket, through the middleware.
func TestConnectionStateRecoveryExpired(t *testing.T) {
	d := interoptest.Start(t)
	rs := newRecoveryServer(t, gateway.ConnectionStateRecovery{MaxDisconnectionDuration: 100 * time.Millisecond})
	c, first := connect(t, d, rs.url, modes[1], interoptest.Options{
		ReconnectionDelay: 600 * time.Millisecond, ReconnectionDelayMax: 700 * time.Millisecond,
		Extra: map[string]any{"randomizationFactor": 0},
	})
	rs.nextSocket(t)
	_ = nsOf(rs.srv, "/").Emit("tick", 1)
	c.WaitEvent("tick", wait)
	c.DropConnection()
	rs.nextLost(t)
	second := c.WaitConnect(wait) // 600 ms later: the session expired after 100 ms
	if second.Recovered || second.ID == first.ID {
		t.Fatalf("after expiry: %+v, want a new socket", second)
	}
	if n := rs.middlewares.Load(); n != 2 {
		t.Fatalf("middleware ran %d times, want twice", n)
	}
}
