package engineio

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// envDetachAfter, when set, is the detach period of every server newEnvWith makes, and
// envDetached counts their detached GETs (tests do not run in parallel).
var (
	envDetachAfter time.Duration
	envDetached    atomic.Int64
)

// The polling behaviours again, with every GET that waits more than a millisecond or
// two detached from net/http: a client sees no difference.
func TestPollingWithDetachedGets(t *testing.T) {
	envDetachAfter = time.Millisecond
	envDetached.Store(0)
	defer func() { envDetachAfter = 0 }()
	for _, tc := range []struct {
		name string
		f    func(*testing.T)
	}{
		{"PollingEcho", TestPollingEcho},
		{"PollingDuplicateGet", TestPollingDuplicateGet},
		{"PollingCancelledGet", TestPollingCancelledGet},
		{"HeartbeatPolling", TestHeartbeatPolling},
		{"PingTimeoutPolling", TestPingTimeoutPolling},
		{"PollingClientClose", TestPollingClientClose},
		{"Upgrade", TestUpgrade},
		{"UpgradeNoopsEveryGet", TestUpgradeNoopsEveryGet},
		{"UpgradeFlushesQueue", TestUpgradeFlushesQueue},
		{"UpgradeAborted", TestUpgradeAborted},
		{"UpgradeGetOvertakenByUpgrade", TestUpgradeGetOvertakenByUpgrade},
		{"CORS", TestCORS},
		{"SlowConsumer", TestSlowConsumer},
		{"CloseFlushesPolling", TestCloseFlushesPolling},
		{"CloseFromOnMessage", TestCloseFromOnMessage},
		{"MessageGroupsAtomic", TestMessageGroupsAtomic},
		{"SharedMessage", TestSharedMessage},
		{"SendVolatile", TestSendVolatile},
		{"ServerClose", TestServerClose},
	} {
		t.Run(tc.name, tc.f)
	}
	if envDetached.Load() == 0 {
		t.Error("no GET was detached")
	}
}

// testDetachAfter makes waiting GETs detach within a few milliseconds.
const testDetachAfter = 5 * time.Millisecond

// detachSignal makes the server detach waiting GETs quickly and report each on the
// returned channel. Call it before the first request.
func (e *env) detachSignal() <-chan *Conn {
	ch := make(chan *Conn, 64)
	e.srv.detachAfter = testDetachAfter
	e.srv.testHooks.detached = func(c *Conn) {
		select {
		case ch <- c:
		default:
		}
	}
	return ch
}

func waitDetached(tb testing.TB, ch <-chan *Conn) *Conn {
	tb.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(testTimeout):
		tb.Fatal("GET never detached")
		return nil
	}
}

// handlerWaiting reports whether a goroutine is inside the polling GET handler.
func handlerWaiting() bool {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Contains(string(buf[:n]), "engineio.(*Conn).pollGetBody")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// rawGet sends a polling GET for sid on a connection of its own and returns it.
func rawGet(tb testing.TB, e *env, sid string, hdr string) net.Conn {
	tb.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(e.ts.URL, "http://"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	req := "GET /engine.io/?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\n" + hdr + "\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		tb.Fatal(err)
	}
	return nc
}

func TestDetachedGetLeavesHandler(t *testing.T) {
	h := newRecorder(false)
	srv := NewServer(Config{PingInterval: time.Hour, PingTimeout: time.Hour, AllowedOrigins: []string{"https://app.example"}}, h)
	// A user middleware that sets a header of its own on every response.
	// It also reports every polling GET of a session whose handler has returned.
	returned := make(chan struct{}, 8)
	mw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Served-By", "sockgate-test")
		srv.ServeHTTP(w, r)
		if r.Method == http.MethodGet && r.URL.Query().Get("sid") != "" {
			returned <- struct{}{}
		}
	})
	ts := httptest.NewServer(mw)
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close)
	e := &env{tb: t, srv: srv, h: h, ts: ts, client: &http.Client{Transport: &http.Transport{}, Timeout: testTimeout}, base: ts.URL + "/engine.io/"}
	t.Cleanup(e.client.CloseIdleConnections)
	detached := e.detachSignal()

	op := e.handshake()
	c := h.nextOpen(t)
	res := e.asyncGet(context.Background(), op.SID)
	waitDetached(t, detached)
	select {
	case <-returned:
	case <-time.After(testTimeout):
		t.Fatal("the handler of a detached GET did not return")
	}
	if handlerWaiting() {
		t.Fatal("a goroutine still waits in the GET handler after the GET was detached")
	}
	if err := c.Send(NewTextMessage([]byte("4hello"))); err != nil {
		t.Fatal(err)
	}
	if r := waitGet(t, res); r.status != http.StatusOK || r.body != "4hello" {
		t.Fatalf("detached GET: %d %q", r.status, r.body)
	}

	// The headers of the response written on the detached connection: those of the
	// handler (CORS for the request's origin, the middleware's) and a closing framing.
	nc := rawGet(t, e, op.SID, "Origin: https://app.example\r\n")
	waitDetached(t, detached)
	if err := c.Send(NewTextMessage([]byte("4second")), NewTextMessage([]byte("4third"))); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(testTimeout))
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body) // to the end: the server closes the connection
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example",
		"Access-Control-Allow-Credentials": "true",
		"Vary":                             "Origin",
		"X-Served-By":                      "sockgate-test",
		"Content-Type":                     "text/plain; charset=UTF-8",
		"Cache-Control":                    "no-store",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if resp.StatusCode != http.StatusOK || string(body) != "4second\x1e4third" || !resp.Close || resp.ContentLength != int64(len(body)) {
		t.Errorf("detached answer: %d %q close=%v length=%d", resp.StatusCode, body, resp.Close, resp.ContentLength)
	}
	if resp.Header.Get("Date") == "" {
		t.Error("no Date header")
	}
}

func TestDetachedGetClientLeaves(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(t *testing.T, nc net.Conn)
	}{
		{"close", func(t *testing.T, nc net.Conn) { nc.Close() }},
		{"half close", func(t *testing.T, nc net.Conn) { _ = nc.(*net.TCPConn).CloseWrite() }},
		// Bytes trickled on a connection that has a request outstanding: dropped, and
		// the GET is given up once they pass a small bound.
		{"slow junk", func(t *testing.T, nc net.Conn) {
			chunk := strings.Repeat("x", 512)
			for i := 0; i*len(chunk) <= maxDetachedJunk; i++ {
				if _, err := io.WriteString(nc, chunk); err != nil {
					return // closed by the server
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newRecorder(false)
			e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
			detached := e.detachSignal()
			op := e.handshake()
			h.nextOpen(t)
			nc := rawGet(t, e, op.SID, "")
			waitDetached(t, detached)
			tc.act(t, nc)
			ev := h.nextClose(t)
			if ev.reason != ReasonTransportClose || !errors.Is(ev.err, ErrPollAborted) {
				t.Errorf("OnClose %q %v", ev.reason, ev.err)
			}
			if status, _ := e.get(op.SID); status != http.StatusBadRequest {
				t.Errorf("GET after the abort: %d", status)
			}
		})
	}
}

func TestDetachedGetSmallJunkKeepsSession(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	detached := e.detachSignal()
	op := e.handshake()
	c := h.nextOpen(t)
	nc := rawGet(t, e, op.SID, "")
	waitDetached(t, detached)
	if _, err := io.WriteString(nc, "\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// The POST is served after the junk was read or not: the session lives either way.
	if status, body := e.post(op.SID, "4ping"); status != http.StatusOK || body != "ok" {
		t.Fatalf("POST: %d %q", status, body)
	}
	if m := h.nextMsg(t); m.data != "ping" {
		t.Fatalf("message %q", m.data)
	}
	_ = c.Send(NewTextMessage([]byte("4pong")))
	_ = nc.SetReadDeadline(time.Now().Add(testTimeout))
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "4pong" {
		t.Errorf("detached GET got %q", body)
	}
}

func TestDetachedGetHeartbeatAndTimeout(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond}, h)
	detached := e.detachSignal()
	op := e.handshake()
	h.nextOpen(t)
	res := e.asyncGet(context.Background(), op.SID)
	waitDetached(t, detached)
	// The ping answers the detached GET; a client that never answers it (half-open)
	// is dropped by the pong deadline as on any transport.
	if r := waitGet(t, res); r.status != http.StatusOK || r.body != "2" {
		t.Fatalf("detached GET: %d %q, want the ping", r.status, r.body)
	}
	if ev := h.nextClose(t); ev.reason != ReasonPingTimeout {
		t.Errorf("OnClose %q", ev.reason)
	}
}

func TestDetachedGetUpgrade(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	detached := e.detachSignal()
	op := e.handshake()
	c := h.nextOpen(t)
	res := e.asyncGet(context.Background(), op.SID)
	waitDetached(t, detached)
	ws := e.probe(op.SID)
	if r := waitGet(t, res); r.status != http.StatusOK || r.body != "6" {
		t.Fatalf("detached GET at the probe: %d %q, want noop", r.status, r.body)
	}
	writeWS(t, ws, websocket.TextMessage, "5")
	if err := c.Send(NewTextMessage([]byte("4over-ws"))); err != nil {
		t.Fatal(err)
	}
	if got := readWSText(t, ws); got != "4over-ws" {
		t.Errorf("websocket got %q", got)
	}
}

func TestDetachedGetServerClose(t *testing.T) {
	for _, shutdown := range []bool{false, true} {
		name := map[bool]string{false: "Close", true: "Shutdown"}[shutdown]
		t.Run(name, func(t *testing.T) {
			h := newRecorder(false)
			srv := NewServer(Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
			e := newEnvWith(t, srv, h)
			detached := e.detachSignal()
			op := e.handshake()
			c := h.nextOpen(t)
			res := e.asyncGet(context.Background(), op.SID)
			waitDetached(t, detached)
			want := "1"
			if shutdown {
				// Queued behind the parked GET's wake: the GET takes it, and the
				// close packet waits for the next GET (which never comes here).
				_ = c.Send(NewTextMessage([]byte("4bye")))
				want = "4bye"
				if r := waitGet(t, res); r.body != want {
					t.Fatalf("detached GET: %q", r.body)
				}
				res = e.asyncGet(context.Background(), op.SID)
				waitDetached(t, detached)
				want = "1"
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				srv.Shutdown(ctx)
			} else {
				srv.Close()
			}
			if r := waitGet(t, res); r.status != http.StatusOK || r.body != want {
				t.Errorf("detached GET at %s: %d %q", name, r.status, r.body)
			}
			if ev := h.nextClose(t); ev.reason != ReasonForcedClose {
				t.Errorf("OnClose %q", ev.reason)
			}
		})
	}
}

// A GET that cannot leave net/http (here: HTTP/2 over TLS) keeps waiting in its handler.
func TestDetachUnsupportedKeepsWaiting(t *testing.T) {
	h := newRecorder(false)
	srv := NewServer(Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	ts := httptest.NewUnstartedServer(srv)
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close)
	client := ts.Client()
	t.Cleanup(client.CloseIdleConnections)
	e := &env{tb: t, srv: srv, h: h, ts: ts, client: client, base: ts.URL + "/engine.io/"}
	detached := e.detachSignal()
	parked := e.parkSignal()
	op := e.handshake()
	c := h.nextOpen(t)
	res := e.asyncGet(context.Background(), op.SID)
	// Parks, again on each of the detach clock's two ticks, and again after the
	// detach was refused.
	for range 3 {
		waitParked(t, parked)
	}
	select {
	case <-detached:
		t.Fatal("a GET over HTTP/2 was detached")
	default:
	}
	if err := c.Send(NewTextMessage([]byte("4h2"))); err != nil {
		t.Fatal(err)
	}
	if r := waitGet(t, res); r.status != http.StatusOK || r.body != "4h2" {
		t.Fatalf("GET over HTTP/2: %d %q", r.status, r.body)
	}
}
