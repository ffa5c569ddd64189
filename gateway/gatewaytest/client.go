package gatewaytest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockgate/sockgate/client"
)

// DefaultTimeout is the deadline of Client.Expect and Client.EmitWithAck unless
// Client.Timeout says otherwise.
const DefaultTimeout = 5 * time.Second

// Client is a connected client socket that records every event it receives, so that a
// test can wait for one by name. The embedded *client.Socket emits, acknowledges and
// disconnects as usual.
//
// Expect, ExpectDisconnect and EmitWithAck fail the test with tb.Fatalf, so call them
// from the test's goroutine.
type Client struct {
	*client.Socket
	// Timeout bounds every wait. Zero: DefaultTimeout.
	Timeout time.Duration

	mu      sync.Mutex
	events  []*client.Event // received and not yet consumed by Expect
	changed chan struct{}   // closed and replaced whenever events grows
}

// Dial connects a client to the namespace in the path of rawURL ("/" when empty) with
// opts, waiting for the connection; the Manager is closed by tb.Cleanup. Every event is
// recorded from the start, including what the server emits on connection (the first
// "connect" is consumed by Dial). A failed connection fails tb.
func Dial(tb testing.TB, rawURL string, opts client.Options) *Client {
	tb.Helper()
	c, err := dial(tb, rawURL, opts)
	if err != nil {
		tb.Fatalf("gatewaytest: connecting to %s: %v", rawURL, err)
	}
	return c
}

// DialErr is Dial for a connection expected to fail: it returns the error (a
// *client.ConnectError when the server refused) and fails tb if the client connected.
func DialErr(tb testing.TB, rawURL string, opts client.Options) error {
	tb.Helper()
	c, err := dial(tb, rawURL, opts)
	if err == nil {
		tb.Fatalf("gatewaytest: connecting to %s succeeded (socket %s), want an error", rawURL, c.ID())
	}
	return err
}

func dial(tb testing.TB, rawURL string, opts client.Options) (*Client, error) {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatalf("gatewaytest: %v", err)
	}
	nsp := u.Path
	if nsp == "" {
		nsp = "/"
	}
	m, err := client.New(rawURL, opts)
	if err != nil {
		tb.Fatalf("gatewaytest: %v", err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	s, err := m.Socket(nsp)
	if err != nil {
		tb.Fatalf("gatewaytest: %v", err)
	}
	c := Record(s)
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout())
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		return nil, err
	}
	c.take(client.EventConnect) // Dial has waited for it; what follows is what matters
	return c, nil
}

// Record starts recording the events of s, which may not be connected yet, and returns
// the recording client. Dial uses it; use it directly for sockets made with a
// client.Manager, such as several namespaces over one connection.
func Record(s *client.Socket) *Client {
	c := &Client{Socket: s, changed: make(chan struct{})}
	s.OnAny(c.record)
	s.On(client.EventConnect, c.record)
	s.On(client.EventConnectError, c.record)
	s.On(client.EventDisconnect, c.record)
	return c
}

// Dial connects a client to namespace nsp of s with default options; see the package
// function Dial.
func (s *Server) Dial(tb testing.TB, nsp string) *Client {
	tb.Helper()
	return Dial(tb, s.URL+nsp, client.Options{})
}

// DialWith is Dial with options.
func (s *Server) DialWith(tb testing.TB, nsp string, opts client.Options) *Client {
	tb.Helper()
	return Dial(tb, s.URL+nsp, opts)
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Client) record(e *client.Event) {
	c.mu.Lock()
	c.events = append(c.events, e)
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// take removes and returns the first recorded event named name.
func (c *Client) take(name string) (*client.Event, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.events {
		if e.Name == name {
			c.events = append(c.events[:i], c.events[i+1:]...)
			return e, nil
		}
	}
	return nil, c.changed
}

// Expect waits for the next event named event (events of other names are kept for
// later Expect calls) and returns it, with its arguments and Ack. It also waits for
// "connect", "connect_error" and "disconnect". When nothing comes in time it fails tb,
// naming the event and listing what arrived instead.
func (c *Client) Expect(tb testing.TB, event string) *client.Event {
	tb.Helper()
	timer := time.NewTimer(c.timeout())
	defer timer.Stop()
	for {
		e, changed := c.take(event)
		if e != nil {
			return e
		}
		select {
		case <-changed:
		case <-timer.C:
			tb.Fatalf("gatewaytest: no %q event on namespace %q within %v; received instead: %s",
				event, c.Namespace(), c.timeout(), c.pending())
			return nil
		}
	}
}

// ExpectDisconnect waits for the "disconnect" event and returns its reason.
func (c *Client) ExpectDisconnect(tb testing.TB) string {
	tb.Helper()
	return c.Expect(tb, client.EventDisconnect).Reason
}

// EmitWithAck emits event with args and waits for the acknowledgement; when it does not
// come in time, or the connection drops, it fails tb, naming the event.
func (c *Client) EmitWithAck(tb testing.TB, event string, args ...any) client.Args {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout())
	defer cancel()
	a, err := c.Socket.EmitWithAck(ctx, event, args...)
	if err != nil {
		tb.Fatalf("gatewaytest: no acknowledgement of %q on namespace %q: %v; received meanwhile: %s",
			event, c.Namespace(), err, c.pending())
	}
	return a
}

// pending describes the recorded events not consumed yet.
func (c *Client) pending() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.events) == 0 {
		return "nothing"
	}
	parts := make([]string, 0, len(c.events))
	for _, e := range c.events {
		parts = append(parts, describe(e))
	}
	return strings.Join(parts, ", ")
}

func describe(e *client.Event) string {
	switch e.Name {
	case client.EventDisconnect:
		return fmt.Sprintf("disconnect (%s)", e.Reason)
	case client.EventConnectError:
		return fmt.Sprintf("connect_error (%v)", e.Err)
	case client.EventConnect:
		return "connect"
	}
	return fmt.Sprintf("%q %s", e.Name, e.Args)
}
