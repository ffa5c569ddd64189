package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/sockgate/sockgate/decorators"
)

// recordingHandler keeps the level and message of every log record.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r)
	h.mu.Unlock()
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordingHandler) count(level slog.Level, msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Level == level && r.Message == msg {
			n++
		}
	}
	return n
}

type waitingGateway struct {
	decorators.Gateway

	_ decorators.Subscribe `ws:"wait"`

	wrap    bool // return the context's error wrapped, as handlers often do
	started chan struct{}
	done    chan struct{}
}

func (g *waitingGateway) OnWait(ctx context.Context) error {
	close(g.started)
	<-ctx.Done()
	defer close(g.done)
	if g.wrap {
		return fmt.Errorf("waiting for the store: %w", ctx.Err())
	}
	return ctx.Err()
}

// A handler returning its context's error after the client left is not a failure: not
// when the client leaves the namespace, not when it closes the connection, and not when
// the handler wraps the error.
func TestCanceledAfterClientLeftIsNotAnError(t *testing.T) {
	for _, tc := range []struct {
		name  string
		wrap  bool
		leave func(c *rawClient)
	}{
		{"namespace disconnect", false, func(c *rawClient) { c.send(`41`) }},
		{"transport close", false, func(c *rawClient) { _ = c.ws.Close() }},
		{"wrapped, namespace disconnect", true, func(c *rawClient) { c.send(`41`) }},
		{"wrapped, transport close", true, func(c *rawClient) { _ = c.ws.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingHandler{}
			srv, hs := newTestServer(t, Config{}, WithLogger(slog.New(rec)))
			g := &waitingGateway{wrap: tc.wrap, started: make(chan struct{}), done: make(chan struct{})}
			if err := srv.Register(g); err != nil {
				t.Fatal(err)
			}
			c := dialRaw(t, hs)
			c.connect("/")
			c.send(`420["wait"]`)
			<-g.started
			tc.leave(c)
			<-g.done
			if err := srv.Shutdown(context.Background()); err != nil { // waits for the handler's reply
				t.Fatal(err)
			}
			if n := rec.count(slog.LevelError, "gateway: handler error"); n != 0 {
				t.Fatalf("%d handler errors logged at ERROR for a client that left", n)
			}
			if n := rec.count(slog.LevelDebug, "gateway: handler error"); n != 1 {
				t.Fatalf("%d handler errors logged at DEBUG, want 1", n)
			}
		})
	}
}
