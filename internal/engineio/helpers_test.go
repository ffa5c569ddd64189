package engineio

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sockgate/sockgate/internal/eiocodec"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testTimeout bounds every wait of a test for an event that should come.
const testTimeout = 5 * time.Second

// testConfig has the timings of the official suites.
func testConfig() Config {
	return Config{
		PingInterval: 300 * time.Millisecond,
		PingTimeout:  200 * time.Millisecond,
	}
}

type msgEvent struct {
	c      *Conn
	data   string
	binary bool
}

type closeEvent struct {
	c      *Conn
	reason string
	err    error
}

// recorder is a Handler that reports every event on a channel and, when
// echo is set, sends every message back.
type recorder struct {
	echo      bool
	onMessage func(c *Conn, data []byte, binary bool) // optional, runs first
	opens     chan *Conn
	msgs      chan msgEvent
	closes    chan closeEvent
}

func newRecorder(echo bool) *recorder {
	return &recorder{
		echo:   echo,
		opens:  make(chan *Conn, 256),
		msgs:   make(chan msgEvent, 1024),
		closes: make(chan closeEvent, 256),
	}
}

func (h *recorder) OnOpen(c *Conn) { h.opens <- c }

func (h *recorder) OnMessage(c *Conn, data []byte, binary bool) {
	if h.onMessage != nil {
		h.onMessage(c, data, binary)
	}
	h.msgs <- msgEvent{c, string(data), binary}
	if h.echo {
		if binary {
			_ = c.Send(NewBinaryMessage(data))
		} else {
			_ = c.Send(NewTextMessage(append([]byte{eiocodec.PacketMessage}, data...)))
		}
	}
}

func (h *recorder) OnClose(c *Conn, reason string, err error) {
	h.closes <- closeEvent{c, reason, err}
}

func (h *recorder) nextOpen(tb testing.TB) *Conn {
	tb.Helper()
	select {
	case c := <-h.opens:
		return c
	case <-time.After(testTimeout):
		tb.Fatal("no OnOpen")
		return nil
	}
}

func (h *recorder) nextMsg(tb testing.TB) msgEvent {
	tb.Helper()
	select {
	case m := <-h.msgs:
		return m
	case <-time.After(testTimeout):
		tb.Fatal("no OnMessage")
		return msgEvent{}
	}
}

func (h *recorder) nextClose(tb testing.TB) closeEvent {
	tb.Helper()
	select {
	case e := <-h.closes:
		return e
	case <-time.After(testTimeout):
		tb.Fatal("no OnClose")
		return closeEvent{}
	}
}

// env is a Server behind an httptest server, with an HTTP client of its own.
type env struct {
	tb     testing.TB
	srv    *Server
	h      *recorder
	ts     *httptest.Server
	client *http.Client
	base   string // http URL of the engine.io path
	wsBase string // ws URL of the engine.io path
}

func newEnv(tb testing.TB, cfg Config, h *recorder) *env {
	tb.Helper()
	return newEnvWith(tb, NewServer(cfg, h), h)
}

func newEnvWith(tb testing.TB, srv *Server, h *recorder) *env {
	tb.Helper()
	return newEnvServing(tb, srv, h, srv)
}

// newEnvServing is newEnvWith with the HTTP server serving through handler, which
// wraps srv.
func newEnvServing(tb testing.TB, srv *Server, h *recorder, handler http.Handler) *env {
	tb.Helper()
	ts := httptest.NewServer(handler)
	tr := &http.Transport{}
	e := &env{
		tb:     tb,
		srv:    srv,
		h:      h,
		ts:     ts,
		client: &http.Client{Transport: tr, Timeout: testTimeout},
		base:   ts.URL + "/engine.io/",
		wsBase: "ws" + strings.TrimPrefix(ts.URL, "http") + "/engine.io/",
	}
	if envDetachAfter > 0 {
		srv.detachAfter = envDetachAfter
		srv.testHooks.detached = func(*Conn) { envDetached.Add(1) }
	}
	// Cleanups run last-in first-out: the engine.io server first (it
	// releases parked GETs), then the HTTP server, then the client.
	tb.Cleanup(tr.CloseIdleConnections)
	tb.Cleanup(ts.Close)
	tb.Cleanup(srv.Close)
	return e
}

func (e *env) url(query string) string { return e.base + "?" + query }

func (e *env) sidURL(sid string) string {
	return e.url("EIO=4&transport=polling&sid=" + sid)
}

// do sends a request and returns status, body and headers.
func (e *env) do(method, url, body string, hdr http.Header) (int, string, http.Header) {
	e.tb.Helper()
	var rd io.Reader
	if body != "" || method == http.MethodPost {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		e.tb.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.tb.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func (e *env) get(sid string) (int, string) {
	e.tb.Helper()
	status, body, _ := e.do(http.MethodGet, e.sidURL(sid), "", nil)
	return status, body
}

func (e *env) post(sid, payload string) (int, string) {
	e.tb.Helper()
	status, body, _ := e.do(http.MethodPost, e.sidURL(sid), payload, nil)
	return status, body
}

// asyncGet starts a GET and returns a channel with its status and body.
type getResult struct {
	status int
	body   string
	err    error
}

func (e *env) asyncGet(ctx context.Context, sid string) <-chan getResult {
	out := make(chan getResult, 1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.sidURL(sid), nil)
	if err != nil {
		e.tb.Fatal(err)
	}
	go func() {
		resp, err := e.client.Do(req)
		if err != nil {
			out <- getResult{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- getResult{resp.StatusCode, string(b), err}
	}()
	return out
}

func waitGet(tb testing.TB, ch <-chan getResult) getResult {
	tb.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			tb.Fatalf("GET: %v", r.err)
		}
		return r
	case <-time.After(testTimeout):
		tb.Fatal("GET did not return")
		return getResult{}
	}
}

// handshake opens a polling session and returns its open packet.
func (e *env) handshake() eiocodec.OpenPacket {
	e.tb.Helper()
	status, body, _ := e.do(http.MethodGet, e.url("EIO=4&transport=polling"), "", nil)
	if status != http.StatusOK {
		e.tb.Fatalf("handshake: %d %s", status, body)
	}
	return parseOpen(e.tb, body)
}

func parseOpen(tb testing.TB, body string) eiocodec.OpenPacket {
	tb.Helper()
	if !strings.HasPrefix(body, "0") {
		tb.Fatalf("not an open packet: %q", body)
	}
	var op eiocodec.OpenPacket
	if err := json.Unmarshal([]byte(body[1:]), &op); err != nil {
		tb.Fatalf("open packet %q: %v", body, err)
	}
	return op
}

// parkSignal makes the server report every parked GET on the returned channel.
func (e *env) parkSignal() <-chan *Conn {
	ch := make(chan *Conn, 64)
	e.srv.testHooks.parked = func(c *Conn) {
		select {
		case ch <- c:
		default:
		}
	}
	return ch
}

func waitParked(tb testing.TB, ch <-chan *Conn) {
	tb.Helper()
	select {
	case <-ch:
	case <-time.After(testTimeout):
		tb.Fatal("GET never parked")
	}
}

func (e *env) dial(query string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: testTimeout}
	ws, resp, err := d.Dial(e.wsBase+"?"+query, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if ws != nil {
		e.tb.Cleanup(func() { ws.Close() })
	}
	return ws, resp, err
}

// wsSession opens a websocket session and reads its open packet.
func (e *env) wsSession(extra string) (*websocket.Conn, eiocodec.OpenPacket) {
	e.tb.Helper()
	ws, _, err := e.dial("EIO=4&transport=websocket" + extra)
	if err != nil {
		e.tb.Fatal(err)
	}
	typ, data := readWS(e.tb, ws)
	if typ != websocket.TextMessage {
		e.tb.Fatalf("open packet in a frame of type %d", typ)
	}
	return ws, parseOpen(e.tb, string(data))
}

func readWS(tb testing.TB, ws *websocket.Conn) (int, []byte) {
	tb.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(testTimeout))
	typ, data, err := ws.ReadMessage()
	if err != nil {
		tb.Fatalf("websocket read: %v", err)
	}
	return typ, data
}

// readWSText reads text frames, skipping pings, and returns the first other.
func readWSText(tb testing.TB, ws *websocket.Conn) string {
	tb.Helper()
	for {
		typ, data := readWS(tb, ws)
		if typ != websocket.TextMessage {
			tb.Fatalf("frame type %d (%q), want text", typ, data)
		}
		if string(data) == "2" {
			continue
		}
		return string(data)
	}
}

func writeWS(tb testing.TB, ws *websocket.Conn, typ int, data string) {
	tb.Helper()
	if err := ws.WriteMessage(typ, []byte(data)); err != nil {
		tb.Fatalf("websocket write: %v", err)
	}
}

// waitWSClosed reads until the server closes the socket and returns the
// read error (a *websocket.CloseError when the server sent a close frame).
func waitWSClosed(tb testing.TB, ws *websocket.Conn) error {
	tb.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(testTimeout))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				tb.Fatal("websocket not closed by the server")
			}
			return err
		}
	}
}

// probe runs the probe on a new websocket for sid and returns it after
// "3probe", without sending "5".
func (e *env) probe(sid string) *websocket.Conn {
	e.tb.Helper()
	ws, _, err := e.dial("EIO=4&transport=websocket&sid=" + sid)
	if err != nil {
		e.tb.Fatal(err)
	}
	writeWS(e.tb, ws, websocket.TextMessage, "2probe")
	if got := readWSText(e.tb, ws); got != "3probe" {
		e.tb.Fatalf("probe answer %q", got)
	}
	return ws
}

var _ Handler = (*recorder)(nil)
