package gateway

import (
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/sockgate/sockgate/adapter"
)

// countingAdapter counts the adapters closed.
type countingAdapter struct {
	adapter.Adapter
	closes *atomic.Int64
}

func (c countingAdapter) Close() error { c.closes.Add(1); return c.Adapter.Close() }

func newChildServer(t *testing.T, cfg Config) (*Server, *httptest.Server, *atomic.Int64) {
	t.Helper()
	closes := &atomic.Int64{}
	srv, hs := newTestServer(t, cfg, WithAdapter(func(ns adapter.Namespace) (adapter.Adapter, error) {
		a, err := adapter.NewMemory(ns)
		return countingAdapter{a, closes}, err
	}))
	p := srv.OfPattern(regexp.MustCompile(`^/dyn-\d+$`))
	p.OnConnection(func(s *Socket) {
		s.On("where", func(e *Event) { _ = e.Ack(s.Namespace().Name()) })
	})
	return srv, hs, closes
}

// leave disconnects the client from nsp and returns once the server has handled it (the
// reader handles packets in order, and "/" answers after).
func (c *rawClient) leave(nsp string) {
	c.tb.Helper()
	c.send(`41` + nsp + `,`)
	c.send(`420["sync"]`) // no handler: not_found comes back, after the DISCONNECT was handled
	c.expectPrefix(`430[{"status":"error","code":"not_found"`)
	c.expectPrefix(`42["exception"`)
}

// TestEmptyChildNamespaceIsRemoved: a child namespace goes, with its adapter, when its
// last socket leaves, and a later CONNECT creates it again.
func TestEmptyChildNamespaceIsRemoved(t *testing.T) {
	srv, hs, closes := newChildServer(t, Config{})
	c, d := dialRaw(t, hs), dialRaw(t, hs)
	c.connect("/")
	c.connect("/dyn-1")
	d.connect("/dyn-1")
	parent := srv.parents[0]
	first := of(t, srv, "/dyn-1")
	if n := len(parent.Children()); n != 1 {
		t.Fatalf("%d children, want 1", n)
	}
	d.send(`41/dyn-1,`)
	c.leave("/dyn-1")
	if len(parent.Children()) != 0 || closes.Load() != 1 {
		t.Fatalf("after the last socket left: %d children, %d adapters closed; want 0 and 1", len(parent.Children()), closes.Load())
	}
	srv.mu.RLock()
	_, kept := srv.nsps["/dyn-1"]
	srv.mu.RUnlock()
	if kept {
		t.Fatal("the server still holds the empty child")
	}
	c.connect("/dyn-1")
	c.send(`42/dyn-1,1["where"]`)
	c.expect(`43/dyn-1,1["/dyn-1"]`)
	if again := of(t, srv, "/dyn-1"); again == first {
		t.Fatal("the removed namespace was reused")
	}
}

// TestChildNamespaceChurnLeavesNothing: many children come and go; none is kept.
func TestChildNamespaceChurnLeavesNothing(t *testing.T) {
	srv, hs, closes := newChildServer(t, Config{})
	c := dialRaw(t, hs)
	c.connect("/")
	before := len(srv.namespaces())
	const rounds = 300
	for i := 0; i < rounds; i++ {
		nsp := "/dyn-" + strconv.Itoa(i)
		c.connect(nsp)
		c.leave(nsp)
	}
	if n := len(srv.parents[0].Children()); n != 0 {
		t.Fatalf("%d children left", n)
	}
	if n := len(srv.namespaces()); n != before {
		t.Fatalf("%d namespaces, want %d", n, before)
	}
	if n := closes.Load(); n != rounds {
		t.Fatalf("%d adapters closed, want %d", n, rounds)
	}
}

// TestChildNamespaceCap: a pattern holds at most MaxChildNamespaces children at once.
func TestChildNamespaceCap(t *testing.T) {
	srv, hs, _ := newChildServer(t, Config{MaxChildNamespaces: 2})
	c := dialRaw(t, hs)
	c.connect("/")
	c.connect("/dyn-1")
	c.connect("/dyn-2")
	c.send(`40/dyn-3,`)
	c.expect(`44/dyn-3,{"message":"Too many namespaces"}`)
	c.leave("/dyn-1")
	c.connect("/dyn-3")
	if n := len(srv.parents[0].Children()); n != 2 {
		t.Fatalf("%d children, want 2", n)
	}
}

// TestKeepEmptyChildNamespaces: the option keeps them, as socket.io does by default.
func TestKeepEmptyChildNamespaces(t *testing.T) {
	srv, hs, closes := newChildServer(t, Config{KeepEmptyChildNamespaces: true})
	c := dialRaw(t, hs)
	c.connect("/")
	c.connect("/dyn-1")
	c.leave("/dyn-1")
	if n := len(srv.parents[0].Children()); n != 1 || closes.Load() != 0 {
		t.Fatalf("%d children, %d closed; want 1 and 0", n, closes.Load())
	}
}

// TestChildNamespaceConcurrentChurn: clients joining and leaving the same child at once
// never use a removed child, and every child created is closed once.
func TestChildNamespaceConcurrentChurn(t *testing.T) {
	var created, closes atomic.Int64
	srv, hs := newTestServer(t, Config{}, WithAdapter(func(ns adapter.Namespace) (adapter.Adapter, error) {
		a, err := adapter.NewMemory(ns)
		if ns.Name() == "/" {
			return a, err
		}
		created.Add(1)
		return countingAdapter{a, &closes}, err
	}))
	p := srv.OfPattern(regexp.MustCompile(`^/dyn-\d+$`))
	p.OnConnection(func(s *Socket) {
		s.On("where", func(e *Event) { _ = e.Ack(s.Namespace().Name()) })
	})
	const clients, rounds = 6, 40
	done := make(chan struct{})
	for i := 0; i < clients; i++ {
		c := dialRaw(t, hs)
		c.connect("/")
		go func() {
			defer func() { done <- struct{}{} }()
			for r := 0; r < rounds; r++ {
				c.connect("/dyn-1")
				c.send(`42/dyn-1,` + strconv.Itoa(r) + `["where"]`)
				c.expect(`43/dyn-1,` + strconv.Itoa(r) + `["/dyn-1"]`)
				c.leave("/dyn-1")
			}
		}()
	}
	for i := 0; i < clients; i++ {
		<-done
	}
	if n := len(p.Children()); n != 0 {
		t.Fatalf("%d children left", n)
	}
	if created.Load() != closes.Load() || created.Load() == 0 {
		t.Fatalf("%d child adapters created, %d closed", created.Load(), closes.Load())
	}
}
