package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The conformance servers' timings (PROTOCOL.md 6.4).
const (
	pingInterval   = 300 * time.Millisecond
	pingTimeout    = 200 * time.Millisecond
	connectTimeout = time.Second
	maxPayload     = 1000000
)

// waitLimit bounds every wait for something that should happen, so that a broken
// server fails a test instead of hanging it.
const waitLimit = 5 * time.Second

// late is how late a server action driven by a timer may come on a loaded machine
// running -race: timers fire late there, and so do the goroutines they wake.
const late = 1500 * time.Millisecond

// harness is one conformance server on a loopback httptest server, with an HTTP
// client for polling and a websocket dialer.
type harness struct {
	tb     testing.TB
	base   string // http://127.0.0.1:port/<path>/
	client *http.Client
	next   http.Handler

	// closes hears the reason of each closed Engine.IO session (engine.io mode only).
	closes chan string
	// roundTrip proves that a websocket carries a working session: an echo in
	// engine.io mode, a CONNECT in socket.io mode.
	roundTrip func(c *wsClient)
	// join, in socket.io mode, joins "/" so that the connect timeout cannot pass for
	// the close under test. It reads the replies without answering pings and returns
	// the number of pings it saw.
	join func(c *wsClient) int
	// pollJoin is join on polling session sid; it answers the pings it sees.
	pollJoin func(sid string) int

	// parkMu guards parks: GETs (by their "t" token) whose wait should be reported.
	parkMu sync.Mutex
	parks  map[string]chan struct{}
}

// newEngineIOHarness serves the Engine.IO suite's server at /engine.io/.
func newEngineIOHarness(tb testing.TB) *harness {
	tb.Helper()
	closes := make(chan string, 64)
	h, srv := engineIOHandler(func(reason string) {
		select {
		case closes <- reason:
		default: // nobody listens in this test
		}
	})
	hr := startHarness(tb, "/engine.io/", h)
	hr.closes = closes
	hr.roundTrip = func(c *wsClient) {
		c.tb.Helper()
		c.send("4hello")
		c.expect("4hello")
	}
	// Registered after the HTTP server's cleanup, so it runs before it: closing the
	// sessions releases parked GETs, which httptest.Server.Close waits for.
	tb.Cleanup(srv.Close)
	return hr
}

// newSocketIOHarness serves the Socket.IO suite's server at /socket.io/.
func newSocketIOHarness(tb testing.TB) *harness {
	tb.Helper()
	srv, err := socketIOServer()
	if err != nil {
		tb.Fatalf("socketIOServer: %v", err)
	}
	hr := startHarness(tb, "/socket.io/", srv)
	hr.roundTrip = func(c *wsClient) {
		c.tb.Helper()
		if !c.joined {
			c.send("40")
			c.expectConnected("")
			c.expect(`42["auth",{}]`)
			c.joined = true
			return
		}
		c.send(`42["message","round trip"]`)
		c.expect(`42["message-back","round trip"]`)
	}
	hr.join = func(c *wsClient) int {
		c.tb.Helper()
		c.send("40")
		var got []string
		pings := 0
		for len(got) < 2 {
			switch f := c.next(); {
			case f == frame{data: "2"}:
				pings++
			case f.binary:
				c.tb.Fatalf("got %v, want the CONNECT reply and the auth event", f)
			default:
				got = append(got, f.data)
			}
		}
		if !strings.HasPrefix(got[0], `40{"sid":`) || got[1] != `42["auth",{}]` {
			c.tb.Fatalf("got %q, want the CONNECT reply and the auth event", got)
		}
		c.joined = true
		return pings
	}
	hr.pollJoin = func(sid string) int {
		hr.tb.Helper()
		hr.expectPost(sid, "40")
		got, pings := hr.pollPackets(sid, 2)
		if !strings.HasPrefix(got[0], `40{"sid":`) || got[1] != `42["auth",{}]` {
			hr.tb.Fatalf("got %q, want the CONNECT reply and the auth event", got)
		}
		return pings
	}

	tb.Cleanup(func() {
		if err := srv.Close(); err != nil {
			tb.Errorf("closing the server: %v", err)
		}
	})
	return hr
}

func startHarness(tb testing.TB, path string, h http.Handler) *harness {
	hr := &harness{tb: tb, next: h, parks: make(map[string]chan struct{})}
	hs := httptest.NewServer(hr)
	tr := &http.Transport{}
	hr.client = &http.Client{Transport: tr, Timeout: waitLimit}
	hr.base = hs.URL + path
	tb.Cleanup(func() {
		hs.Close()
		tr.CloseIdleConnections()
	})
	return hr
}

// ServeHTTP hands a GET registered by parkedGet a request context that reports the
// first call of Done. A server has to ask for that channel before it waits for the
// client, and a polling server gives no other outward sign that a GET is parked.
func (hr *harness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		if t := r.URL.Query().Get("t"); t != "" {
			hr.parkMu.Lock()
			ch := hr.parks[t]
			delete(hr.parks, t)
			hr.parkMu.Unlock()
			if ch != nil {
				r = r.WithContext(&doneSignal{Context: r.Context(), ch: ch})
			}
		}
	}
	hr.next.ServeHTTP(w, r)
}

// doneSignal closes ch the first time Done is called.
type doneSignal struct {
	context.Context
	once sync.Once
	ch   chan struct{}
}

func (d *doneSignal) Done() <-chan struct{} {
	d.once.Do(func() { close(d.ch) })
	return d.Context.Done()
}

func (hr *harness) wsBase() string { return "ws" + strings.TrimPrefix(hr.base, "http") }

// pollQuery is the query of a polling request on session sid.
func pollQuery(sid string) string { return "EIO=4&transport=polling&sid=" + sid }

// do sends one request and returns its status and body; err is set when the request
// failed at the transport level (for example a reset connection).
func (hr *harness) do(ctx context.Context, method, query, body string) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, hr.base+"?"+query, rd)
	if err != nil {
		return 0, "", err
	}
	if body != "" {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := hr.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (hr *harness) mustDo(method, query, body string) (int, string) {
	hr.tb.Helper()
	status, got, err := hr.do(context.Background(), method, query, body)
	if err != nil {
		hr.tb.Fatalf("%s ?%s: %v", method, query, err)
	}
	return status, got
}

func (hr *harness) get(query string) (int, string) {
	hr.tb.Helper()
	return hr.mustDo(http.MethodGet, query, "")
}

func (hr *harness) post(query, body string) (int, string) {
	hr.tb.Helper()
	return hr.mustDo(http.MethodPost, query, body)
}

// expectGet does a GET on session sid and wants status 200 with body want.
func (hr *harness) expectGet(sid, want string) {
	hr.tb.Helper()
	if status, body := hr.get(pollQuery(sid)); status != http.StatusOK || body != want {
		hr.tb.Fatalf("GET: %d %q, want 200 %q", status, body, want)
	}
}

// pollPackets GETs on session sid until it has n packets other than pings, which it
// answers, and returns them with the number of pings.
func (hr *harness) pollPackets(sid string, n int) (packets []string, pings int) {
	hr.tb.Helper()
	deadline := time.Now().Add(waitLimit)
	for len(packets) < n {
		if time.Now().After(deadline) {
			hr.tb.Fatalf("got packets %q, want %d", packets, n)
		}
		status, body := hr.get(pollQuery(sid))
		if status != http.StatusOK {
			hr.tb.Fatalf("GET: %d %q (after %q)", status, body, packets)
		}
		for p := range strings.SplitSeq(body, "\x1e") {
			if p == "2" {
				hr.expectPost(sid, "3")
				pings++
				continue
			}
			packets = append(packets, p)
		}
	}
	if len(packets) != n {
		hr.tb.Fatalf("got packets %q, want %d", packets, n)
	}
	return packets, pings
}

// expectPost POSTs body on session sid and wants 200 "ok".
func (hr *harness) expectPost(sid, body string) {
	hr.tb.Helper()
	if status, got := hr.post(pollQuery(sid), body); status != http.StatusOK || got != "ok" {
		hr.tb.Fatalf("POST %q: %d %q, want 200 \"ok\"", body, status, got)
	}
}

// expectRefusedGet wants a polling GET on session sid to get 400: the session has
// ended or has moved to a websocket.
func (hr *harness) expectRefusedGet(sid string) {
	hr.tb.Helper()
	if status, body := hr.get(pollQuery(sid)); status != http.StatusBadRequest {
		hr.tb.Fatalf("polling GET: %d %q, want 400", status, body)
	}
}

// openPacket is the handshake: "0" and these keys, no others.
type openPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

// parseOpen checks an open packet against the suites' configuration.
func parseOpen(tb testing.TB, packet string, upgrades []string) openPacket {
	tb.Helper()
	data, ok := strings.CutPrefix(packet, "0")
	if !ok {
		tb.Fatalf("open packet %q does not start with 0", packet)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(data), &keys); err != nil {
		tb.Fatalf("open packet %q: %v", packet, err)
	}
	got := slices.Sorted(maps.Keys(keys))
	if want := []string{"maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"}; !slices.Equal(got, want) {
		tb.Fatalf("open packet keys %v, want %v", got, want)
	}
	var o openPacket
	if err := json.Unmarshal([]byte(data), &o); err != nil {
		tb.Fatalf("open packet %q: %v", packet, err)
	}
	if o.SID == "" || o.Upgrades == nil || !slices.Equal(o.Upgrades, upgrades) ||
		o.PingInterval != int(pingInterval/time.Millisecond) || o.PingTimeout != int(pingTimeout/time.Millisecond) ||
		o.MaxPayload != maxPayload {
		tb.Fatalf("open packet %q, want upgrades %q, pingInterval 300, pingTimeout 200, maxPayload 1000000", packet, upgrades)
	}
	return o
}

// open starts a polling session and returns its sid.
func (hr *harness) open() string {
	hr.tb.Helper()
	status, body := hr.get("EIO=4&transport=polling")
	if status != http.StatusOK {
		hr.tb.Fatalf("polling handshake: %d %q", status, body)
	}
	return parseOpen(hr.tb, body, []string{"websocket"}).SID
}

// pollResult is the outcome of a GET run in the background.
type pollResult struct {
	status int
	body   string
	err    error
}

// parkedGet sends a GET on session sid and returns once the server waits on it (see
// ServeHTTP). Cancelling ctx aborts the request.
func (hr *harness) parkedGet(ctx context.Context, sid string) <-chan pollResult {
	hr.tb.Helper()
	tok := token()
	parked := make(chan struct{})
	hr.parkMu.Lock()
	hr.parks[tok] = parked
	hr.parkMu.Unlock()
	res := make(chan pollResult, 1)
	go func() {
		status, body, err := hr.do(ctx, http.MethodGet, pollQuery(sid)+"&t="+tok, "")
		res <- pollResult{status, body, err}
	}()
	select {
	case <-parked:
	case r := <-res:
		hr.tb.Fatalf("GET answered %d %q (%v) instead of waiting for data", r.status, r.body, r.err)
	case <-time.After(waitLimit):
		hr.tb.Fatal("GET never reached the point where it waits for data")
	}
	return res
}

// result waits for a background GET.
func (hr *harness) result(res <-chan pollResult) pollResult {
	hr.tb.Helper()
	select {
	case r := <-res:
		return r
	case <-time.After(waitLimit):
		hr.tb.Fatal("parked GET was never answered")
		return pollResult{}
	}
}

// waitClose waits for the end of an Engine.IO session (engine.io mode) and returns its
// reason.
func (hr *harness) waitClose() string {
	hr.tb.Helper()
	select {
	case r := <-hr.closes:
		return r
	case <-time.After(waitLimit):
		hr.tb.Fatal("the session was not closed")
		return ""
	}
}

func token() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// frame is one websocket message.
type frame struct {
	binary bool
	data   string
}

func (f frame) String() string {
	if f.binary {
		return "binary " + hex.EncodeToString([]byte(f.data))
	}
	return "text " + f.data
}

// wsClient is a raw websocket client. Only the test goroutine uses it, which is
// gorilla's one reader and one writer.
type wsClient struct {
	tb     testing.TB
	c      *websocket.Conn
	joined bool // namespace "/" is joined (socket.io mode)
}

var dialer = websocket.Dialer{HandshakeTimeout: waitLimit}

// dialWS opens a websocket with query; the server may refuse it (err) or accept it.
func (hr *harness) dialWS(query string) (*websocket.Conn, *http.Response, error) {
	c, resp, err := dialer.Dial(hr.wsBase()+"?"+query, nil)
	if c != nil {
		hr.tb.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

// ws opens a websocket that must be accepted.
func (hr *harness) ws(query string) *wsClient {
	hr.tb.Helper()
	c, _, err := hr.dialWS(query)
	if err != nil {
		hr.tb.Fatalf("websocket ?%s: %v", query, err)
	}
	return &wsClient{tb: hr.tb, c: c}
}

// wsOpen opens a websocket session and checks its open packet.
func (hr *harness) wsOpen() (*wsClient, openPacket) {
	hr.tb.Helper()
	c := hr.ws("EIO=4&transport=websocket")
	return c, parseOpen(hr.tb, c.expectText(), []string{})
}

// expectWSRefused wants a websocket with query to be refused, or accepted and then
// closed without an open packet.
func (hr *harness) expectWSRefused(query string) {
	hr.tb.Helper()
	c, resp, err := hr.dialWS(query)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusBadRequest {
			hr.tb.Fatalf("websocket ?%s refused with %d, want 400", query, resp.StatusCode)
		}
		return
	}
	ws := &wsClient{tb: hr.tb, c: c}
	if f, err := ws.read(); err == nil {
		hr.tb.Fatalf("websocket ?%s accepted and got %v, want it closed", query, f)
	} else if isTimeout(err) {
		hr.tb.Fatalf("websocket ?%s was neither refused nor closed", query)
	}
}

func (c *wsClient) send(text string) {
	c.tb.Helper()
	if err := c.c.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		c.tb.Fatalf("sending %q: %v", text, err)
	}
}

func (c *wsClient) sendBinary(b []byte) {
	c.tb.Helper()
	if err := c.c.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.tb.Fatalf("sending %x: %v", b, err)
	}
}

// read returns the next frame; it fails after waitLimit with a timeout error.
func (c *wsClient) read() (frame, error) {
	if err := c.c.SetReadDeadline(time.Now().Add(waitLimit)); err != nil {
		return frame{}, err
	}
	typ, b, err := c.c.ReadMessage()
	if err != nil {
		return frame{}, err
	}
	return frame{binary: typ == websocket.BinaryMessage, data: string(b)}, nil
}

// next returns the next frame, whatever it is.
func (c *wsClient) next() frame {
	c.tb.Helper()
	f, err := c.read()
	if err != nil {
		c.tb.Fatalf("reading: %v", err)
	}
	return f
}

// expectText returns the next frame, which must be text.
func (c *wsClient) expectText() string {
	c.tb.Helper()
	f := c.next()
	if f.binary {
		c.tb.Fatalf("got %v, want a text frame", f)
	}
	return f.data
}

// nextData returns the next frame that is not a ping, answering pings with pongs so
// that the session outlives slow test runs.
func (c *wsClient) nextData() frame {
	c.tb.Helper()
	for {
		f := c.next()
		if f.binary || f.data != "2" {
			return f
		}
		c.send("3")
	}
}

// expect wants the next non-ping frame to be the text want.
func (c *wsClient) expect(want string) {
	c.tb.Helper()
	if f := c.nextData(); f.binary || f.data != want {
		c.tb.Fatalf("got %v, want text %s", f, want)
	}
}

// expectPrefix wants the next non-ping frame to be text starting with prefix, and
// returns the rest.
func (c *wsClient) expectPrefix(prefix string) string {
	c.tb.Helper()
	f := c.nextData()
	rest, ok := strings.CutPrefix(f.data, prefix)
	if f.binary || !ok {
		c.tb.Fatalf("got %v, want text starting with %s", f, prefix)
	}
	return rest
}

// expectBinary wants the next non-ping frame to be the binary want.
func (c *wsClient) expectBinary(want []byte) {
	c.tb.Helper()
	if f := c.nextData(); !f.binary || f.data != string(want) {
		c.tb.Fatalf("got %v, want binary %x", f, want)
	}
}

// expectClosed wants the server to close the websocket within limit, sending nothing
// but pings before; it answers the pings, so that a ping timeout cannot pass for the
// close under test.
func (c *wsClient) expectClosed(limit time.Duration) {
	c.tb.Helper()
	deadline := time.Now().Add(limit)
	for {
		if err := c.c.SetReadDeadline(deadline); err != nil {
			c.tb.Fatal(err)
		}
		typ, b, err := c.c.ReadMessage()
		if isTimeout(err) {
			c.tb.Fatalf("the server did not close the websocket within %v", limit)
		}
		if err != nil {
			return
		}
		if typ != websocket.TextMessage || string(b) != "2" {
			c.tb.Fatalf("got %v before the close, want nothing", frame{typ == websocket.BinaryMessage, string(b)})
		}
		if err := c.c.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
			return // closed under our feet: that is the close
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// sioConnect opens a websocket session, joins namespace "/" without auth and reads
// the CONNECT reply and the "auth" event, as a client does before its first emit.
func (hr *harness) sioConnect() *wsClient {
	hr.tb.Helper()
	c, _ := hr.wsOpen()
	c.send("40")
	c.expectConnected("")
	c.expect(`42["auth",{}]`)
	c.joined = true
	return c
}

// expectConnected wants the CONNECT reply of namespace nsp ("" for "/"): exactly one key,
// "sid", a non-empty string. It returns the socket id.
func (c *wsClient) expectConnected(nsp string) string {
	c.tb.Helper()
	prefix := "40"
	if nsp != "" {
		prefix += nsp + ","
	}
	rest := c.expectPrefix(prefix)
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(rest), &keys); err != nil {
		c.tb.Fatalf("CONNECT reply %q: %v", prefix+rest, err)
	}
	var sid string
	if len(keys) != 1 || json.Unmarshal(keys["sid"], &sid) != nil || sid == "" {
		c.tb.Fatalf("CONNECT reply %q, want exactly a string \"sid\"", prefix+rest)
	}
	return sid
}
