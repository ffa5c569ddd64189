package interop

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockgate/sockgate/adapter/redis"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/internal/redistest"
	"github.com/sockgate/sockgate/interop/interoptest"
)

// goNode is a sockgate node of a streams cluster with connection state recovery, whose new
// sockets join "room" and set their data.
type goNode struct {
	srv         *gateway.Server
	host        string
	middlewares atomic.Int32
	lost        chan string
	connected   chan *gateway.Socket
}

func startRecoveryNode(t *testing.T, redisURL, key string) *goNode {
	t.Helper()
	st, err := redis.NewStreams(redis.StreamsConfig{URL: redisURL, StreamName: key, ChannelPrefix: key, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	cfg := gateway.Config{ConnectionStateRecovery: gateway.ConnectionStateRecovery{MaxDisconnectionDuration: time.Minute}}
	srv, err := gateway.NewServer(cfg, gateway.WithLogger(slog.New(slog.DiscardHandler)), gateway.WithAdapter(st.Adapter))
	if err != nil {
		t.Fatal(err)
	}
	n := &goNode{srv: srv, lost: make(chan string, 8), connected: make(chan *gateway.Socket, 8)}
	srv.Use(func(_ context.Context, _ *gateway.Socket) error {
		n.middlewares.Add(1)
		return nil
	})
	srv.OnConnection(func(s *gateway.Socket) {
		if !s.Recovered() {
			s.Join("room")
			s.SetData("data of " + s.ID())
		}
		s.OnDisconnect(func(r gateway.DisconnectReason) { n.lost <- string(r) })
		n.connected <- s
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
		_ = st.Close()
	})
	n.host = hostOf(hs.URL)
	return n
}

func (n *goNode) nsp(t *testing.T) *gateway.Namespace {
	t.Helper()
	return nsOf(n.srv, "/")
}

func recv[T any](t *testing.T, ch chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("no %s", what)
		var zero T
		return zero
	}
}

// TestConnectionStateRecoveryAcrossGoNodes: two sockgate nodes share a Redis stream; the
// official client loses its connection to node A and reconnects through the load
// balancer to node B, while A keeps broadcasting. It gets its socket back on B (id, room,
// data, no middleware) and every packet exactly once, in A's order.
func TestConnectionStateRecoveryAcrossGoNodes(t *testing.T) {
	rs := redistest.Start(t)
	a := startRecoveryNode(t, rs.URL(), "csr")
	b := startRecoveryNode(t, rs.URL(), "csr")
	proxy := newSwitchProxy(t, a.host)
	d := interoptest.Start(t)
	c := d.Connect(t, proxy.url(), interoptest.Options{Transports: []string{"websocket"},
		ReconnectionDelay: 100 * time.Millisecond, ReconnectionDelayMax: 200 * time.Millisecond})
	first := c.WaitConnect(wait)
	sa := recv(t, a.connected, "connection on node A")
	nspA, nspB := a.nsp(t), b.nsp(t)
	if err := nspA.To("room").Emit("tick", 1); err != nil {
		t.Fatal(err)
	}
	c.WaitEvent("tick", wait)

	proxy.setTarget(b.host)
	c.DropConnection()
	if r := recv(t, a.lost, "disconnection on node A"); r != string(gateway.ReasonTransportClose) {
		t.Fatalf("node A saw %q", r)
	}
	_ = nspA.To("room").Emit("tick", 2)
	_ = nspB.To("room").Emit("from-b")
	_ = nspA.To("elsewhere").Emit("tick", -1)
	_ = nspA.Except(sa.ID()).Emit("tick", -2)
	// Node A goes on broadcasting while the client comes back on node B.
	const last = 60
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 3; i <= last; i++ {
			_ = nspA.To("room").Emit("tick", i)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { <-done })

	second := c.WaitConnect(wait)
	if !second.Recovered || second.ID != first.ID {
		t.Fatalf("on node B: %+v, want recovered with id %s", second, first.ID)
	}
	sb := recv(t, b.connected, "connection on node B")
	if !sb.Recovered() || sb.ID() != first.ID || !sb.IsInRoom("room") || sb.Data() != "data of "+first.ID {
		t.Fatalf("node B socket: recovered=%v id=%s rooms=%v data=%#v", sb.Recovered(), sb.ID(), sb.Rooms(), sb.Data())
	}
	if n := b.middlewares.Load(); n != 0 {
		t.Fatalf("node B ran the middleware %d times for a recovered socket", n)
	}
	<-done
	for {
		r := c.WaitEvent("tick", wait)
		if r.Args.Value(0) == float64(last) {
			break
		}
	}
	c.WaitEvent("from-b", wait)
	got := ticks(t, c)
	want := make([]float64, last)
	for i := range want {
		want[i] = float64(i + 1)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ticks %v, want 1..%d once each, in order", got, last)
	}
	if n := len(c.Events("from-b")); n != 1 {
		t.Fatalf("from-b received %d times, want once", n)
	}
	// B now serves the socket: a broadcast from A reaches it through the stream.
	_ = nspA.To(first.ID).Emit("after", 1)
	c.WaitEvent("after", wait)
}
