package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/decorators"
)

// recordingObserver records the calls it receives, one line each.
type recordingObserver struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordingObserver) add(format string, args ...any) {
	r.mu.Lock()
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recordingObserver) has(call string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if c == call {
			return true
		}
	}
	return false
}

func (r *recordingObserver) SocketConnected(nsp string) { r.add("connected %s", nsp) }
func (r *recordingObserver) SocketDisconnected(nsp string, reason DisconnectReason) {
	r.add("disconnected %s %s", nsp, reason)
}
func (r *recordingObserver) EventHandled(nsp, event string, handled bool, d time.Duration) {
	r.add("event %s %s %v", nsp, event, handled)
}
func (r *recordingObserver) EventRateLimited(nsp, event string, handled bool) {
	r.add("limited %s %s %v", nsp, event, handled)
}
func (r *recordingObserver) AckSent(nsp string)              { r.add("ack sent %s", nsp) }
func (r *recordingObserver) AckReceived(nsp string)          { r.add("ack received %s", nsp) }
func (r *recordingObserver) ErrorSent(nsp string, code Code) { r.add("error %s %s", nsp, code) }
func (r *recordingObserver) SlowConsumer()                   { r.add("slow consumer") }
func (r *recordingObserver) AdapterRequest(nsp, kind string, d time.Duration, err error) {
	r.add("adapter %s %s %v %v", nsp, kind, d, err)
}

// An adapter's requests reach the server's observer through the namespace it serves.
func TestAdapterRequestsReachTheObserver(t *testing.T) {
	obs := &recordingObserver{}
	views := make(chan adapter.Namespace, 4)
	factory := func(ns adapter.Namespace) (adapter.Adapter, error) {
		views <- ns
		return adapter.NewMemory(ns)
	}
	srv, _ := newTestServer(t, Config{}, WithObserver(obs), WithAdapter(factory))
	<-views // "/"
	if _, err := srv.Of("/cluster"); err != nil {
		t.Fatal(err)
	}
	(<-views).ObserveRequest("fetch_sockets", time.Millisecond, errors.New("timeout"))
	if want := "adapter /cluster fetch_sockets 1ms timeout"; !obs.has(want) {
		t.Errorf("calls %q, want %q", obs.calls, want)
	}
}

type loggedGateway struct {
	decorators.Gateway

	_ decorators.Subscribe `ws:"crash"`
	_ decorators.Subscribe `ws:"panic"`
}

func (g *loggedGateway) OnCrash() error { return errors.New("database on fire") }
func (g *loggedGateway) OnPanic()       { panic("boom") }

// The server's logs about a socket's events carry the namespace, the socket id and the
// event name as attributes.
func TestHandlerLogsCarrySocketAndEvent(t *testing.T) {
	var out lockedBuffer
	log := slog.New(slog.NewJSONHandler(&out, nil))
	obs := &recordingObserver{}
	srv, hs := newTestServer(t, Config{}, WithLogger(log), WithObserver(obs))
	if err := srv.Register(&loggedGateway{}); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, hs)
	id := c.connect("/")
	c.send(`421["crash"]`)
	c.expectPrefix(`431[{"status":"error","code":"internal"`)
	c.expectPrefix(`42["exception"`)
	c.send(`422["panic"]`)
	c.expectPrefix(`432[{"status":"error","code":"internal"`)
	c.expectPrefix(`42["exception"`)

	want := map[string]string{
		"gateway: handler error":    "crash",
		"gateway: handler panicked": "panic",
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		msg, _ := rec["msg"].(string)
		event, ok := want[msg]
		if !ok {
			continue
		}
		delete(want, msg)
		if rec["socket"] != id || rec["event"] != event || rec["namespace"] != "/" {
			t.Errorf("%q: socket %v event %v namespace %v, want %s %s /", msg, rec["socket"], rec["event"], rec["namespace"], id, event)
		}
	}
	for msg := range want {
		t.Errorf("no log %q in:\n%s", msg, out.String())
	}
	for _, call := range []string{"connected /", "error / internal", "ack sent /"} {
		if !obs.has(call) {
			t.Errorf("observer calls %q, want %q", obs.calls, call)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutines and the test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
