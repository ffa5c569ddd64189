package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
	"github.com/sockgate/sockgate/interop/interoptest"
)

const waitTimeout = 5 * time.Second

// peer is one client socket as the contract sees it, whichever client drives it. Its
// methods fail the test they were made for.
type peer interface {
	// ID is the socket id the server gave.
	ID() string
	Emit(event string, args ...any)
	// Ack emits with an acknowledgement and returns the acknowledgement's arguments.
	Ack(event string, args ...any) []json.RawMessage
	// Expect waits for the next event named event not returned before, and returns its
	// arguments.
	Expect(event string) []json.RawMessage
	// Sync returns once everything the server sent this socket's connection before the
	// call has reached the socket's listeners, so that Count can tell what did not come.
	Sync()
	// Count is how many events named event the socket received so far.
	Count(event string) int
}

// clientKind connects peers with one client and transport setting.
type clientKind struct {
	name string
	// connect opens a socket on namespace nsp with the CONNECT payload auth and waits for
	// the connection.
	connect func(t *testing.T, url, nsp string, auth any) peer
	// refused opens a socket that the server must refuse, and returns the connect_error's
	// message and data.
	refused func(t *testing.T, url, nsp string, auth any) (string, json.RawMessage)
	// connectHeader is connect with extra HTTP headers on the handshake and no auth.
	connectHeader func(t *testing.T, url, nsp string, header map[string]string) peer
}

var syncSeq atomic.Int64

// syncNamespace names a namespace the server does not have: its connect_error comes
// back on the same connection after everything sent before.
func syncNamespace() string { return fmt.Sprintf("/sync-%d", syncSeq.Add(1)) }

// The Go client (package client).

func goClient(name string, transports []string) clientKind {
	return clientKind{
		name: name,
		connect: func(t *testing.T, url, nsp string, auth any) peer {
			t.Helper()
			return dialGo(t, url, nsp, client.Options{Auth: auth, Transports: transports})
		},
		refused: func(t *testing.T, url, nsp string, auth any) (string, json.RawMessage) {
			t.Helper()
			err := gatewaytest.DialErr(t, url+nsp, client.Options{Auth: auth, Transports: transports, DisableReconnection: true})
			var ce *client.ConnectError
			if !errors.As(err, &ce) {
				t.Fatalf("connecting to %s: %v, want a refusal", nsp, err)
			}
			return ce.Message, ce.Data
		},
		connectHeader: func(t *testing.T, url, nsp string, header map[string]string) peer {
			t.Helper()
			h := http.Header{}
			for k, v := range header {
				h.Set(k, v)
			}
			return dialGo(t, url, nsp, client.Options{Header: h, Transports: transports})
		},
	}
}

type goPeer struct {
	t *testing.T
	m *client.Manager
	c *gatewaytest.Client

	// mu guards counts, written by the client's event goroutine.
	mu     sync.Mutex
	counts map[string]int
}

func dialGo(t *testing.T, url, nsp string, opts client.Options) *goPeer {
	t.Helper()
	m, err := client.New(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	s, err := m.Socket(nsp)
	if err != nil {
		t.Fatal(err)
	}
	p := &goPeer{t: t, m: m, counts: map[string]int{}}
	s.OnAny(func(e *client.Event) {
		p.mu.Lock()
		p.counts[e.Name]++
		p.mu.Unlock()
	})
	p.c = gatewaytest.Record(s)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatalf("connecting to %s: %v", nsp, err)
	}
	return p
}

func (p *goPeer) ID() string { return p.c.ID() }

func (p *goPeer) Emit(event string, args ...any) {
	p.t.Helper()
	if err := p.c.Emit(event, args...); err != nil {
		p.t.Fatalf("emit %q: %v", event, err)
	}
}

func (p *goPeer) Ack(event string, args ...any) []json.RawMessage {
	p.t.Helper()
	return rawArgs(p.c.EmitWithAck(p.t, event, args...))
}

func (p *goPeer) Expect(event string) []json.RawMessage {
	p.t.Helper()
	return withoutOffset(p.t, event, rawArgs(p.c.Expect(p.t, event).Args))
}

func (p *goPeer) Sync() {
	p.t.Helper()
	s, err := p.m.Socket(syncNamespace())
	if err != nil {
		p.t.Fatal(err)
	}
	// Handlers of every socket of a Manager run in arrival order: once this one has run,
	// so have those of everything that arrived before.
	done := make(chan struct{})
	s.Once(client.EventConnectError, func(*client.Event) { close(done) })
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var ce *client.ConnectError
	if err := s.Connect(ctx); !errors.As(err, &ce) || ce.Message != "Invalid namespace" {
		p.t.Fatalf("sync: connecting to an unknown namespace: %v", err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		p.t.Fatal("sync: no connect_error event")
	}
	s.Disconnect()
}

func (p *goPeer) Count(event string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[event]
}

// withoutOffset checks that the arguments of an event end with its connection state
// recovery offset (the chat turns recovery on) and returns the others. "exception" events
// answer the client's own events and carry none, as in socket.io.
func withoutOffset(tb testing.TB, event string, args []json.RawMessage) []json.RawMessage {
	tb.Helper()
	if event == "exception" {
		return args
	}
	var offset string
	if len(args) == 0 || json.Unmarshal(args[len(args)-1], &offset) != nil || offset == "" {
		tb.Fatalf("%q arguments %s do not end with a recovery offset", event, args)
	}
	return args[:len(args)-1]
}

func rawArgs(a client.Args) []json.RawMessage {
	out := make([]json.RawMessage, a.Len())
	for i := range out {
		out[i] = a.Raw(i)
	}
	return out
}

// The official socket.io-client, driven in Node.

func nodeClient(t *testing.T, name string, transports []string) clientKind {
	d := interoptest.Start(t)
	return clientKind{
		name: name,
		connect: func(t *testing.T, url, nsp string, auth any) peer {
			t.Helper()
			s := d.Connect(t, url, interoptest.Options{Namespace: nsp, Auth: auth, Transports: transports})
			info := s.WaitConnect(waitTimeout)
			return &nodePeer{t: t, d: d, s: s, id: info.ID}
		},
		refused: func(t *testing.T, url, nsp string, auth any) (string, json.RawMessage) {
			t.Helper()
			s := d.Connect(t, url, interoptest.Options{Namespace: nsp, Auth: auth, Transports: transports, NoReconnection: true})
			ce := s.WaitConnectError(waitTimeout)
			return ce.Message, ce.Data
		},
		connectHeader: func(t *testing.T, url, nsp string, header map[string]string) peer {
			t.Helper()
			s := d.Connect(t, url, interoptest.Options{Namespace: nsp, Transports: transports,
				Extra: map[string]any{"extraHeaders": header}})
			info := s.WaitConnect(waitTimeout)
			return &nodePeer{t: t, d: d, s: s, id: info.ID}
		},
	}
}

type nodePeer struct {
	t  *testing.T
	d  *interoptest.Driver
	s  *interoptest.Socket
	id string
}

func (p *nodePeer) ID() string { return p.id }

func (p *nodePeer) Emit(event string, args ...any) {
	p.t.Helper()
	p.s.Emit(event, args...)
}

func (p *nodePeer) Ack(event string, args ...any) []json.RawMessage {
	p.t.Helper()
	v, err := p.s.EmitWithAck(waitTimeout, event, args...)
	if err != nil {
		p.t.Fatalf("no acknowledgement of %q: %v", event, err)
	}
	return v
}

func (p *nodePeer) Expect(event string) []json.RawMessage {
	p.t.Helper()
	return withoutOffset(p.t, event, p.s.WaitEvent(event, waitTimeout).Args)
}

func (p *nodePeer) Sync() {
	p.t.Helper()
	// The driver reports what the client's listeners see in order: once this
	// connect_error is recorded, so is everything that arrived before it.
	s := p.d.Connect(p.t, "", interoptest.Options{Manager: p.s.Manager(), Namespace: syncNamespace()})
	if ce := s.WaitConnectError(waitTimeout); ce.Message != "Invalid namespace" {
		p.t.Fatalf("sync: connect_error %q", ce.Message)
	}
}

func (p *nodePeer) Count(event string) int { return len(p.s.Events(event)) }
