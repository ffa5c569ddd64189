package engineio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestUpgradeNoopsEveryGet(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(false))
	parked := e.parkSignal()
	op := e.handshake()
	// A GET parked before the probe is released by it.
	res := e.asyncGet(context.Background(), op.SID)
	waitParked(t, parked)
	ws := e.probe(op.SID)
	if r := waitGet(t, res); r.status != http.StatusOK || r.body != "6" {
		t.Fatalf("GET parked before the probe: %d %q, want noop", r.status, r.body)
	}
	// And so is every later GET, at once: none waits for the next ping.
	for i := range 5 {
		start := time.Now()
		status, body := e.get(op.SID)
		if status != http.StatusOK || body != "6" {
			t.Fatalf("GET %d during upgrade: %d %q, want noop", i, status, body)
		}
		if d := time.Since(start); d > 150*time.Millisecond {
			t.Errorf("GET %d took %v", i, d)
		}
	}
	writeWS(t, ws, websocket.TextMessage, "5")
}

func TestUpgradeFlushesQueue(t *testing.T) {
	h := newRecorder(true)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	op := e.handshake()
	c := h.nextOpen(t)
	ws := e.probe(op.SID)
	for _, s := range []string{"4a", "4b", "4c"} {
		if err := c.Send(NewTextMessage([]byte(s))); err != nil {
			t.Fatal(err)
		}
	}
	writeWS(t, ws, websocket.TextMessage, "5")
	for _, want := range []string{"4a", "4b", "4c"} {
		if got := readWSText(t, ws); got != want {
			t.Fatalf("after the switch got %q, want %q", got, want)
		}
	}
}

func TestUpgradeSecondProbeClosed(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(true))
	op := e.handshake()
	ws := e.probe(op.SID)
	ws2, _, err := e.dial("EIO=4&transport=websocket&sid=" + op.SID)
	if err == nil {
		waitWSClosed(t, ws2)
	}
	writeWS(t, ws, websocket.TextMessage, "5")
	writeWS(t, ws, websocket.TextMessage, "4hello")
	if got := readWSText(t, ws); got != "4hello" {
		t.Errorf("echo %q", got)
	}
}

func TestUpgradeAborted(t *testing.T) {
	for _, frame := range []string{"4hello", "2", "3probe"} {
		t.Run(frame, func(t *testing.T) {
			e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, newRecorder(true))
			op := e.handshake()
			ws := e.probe(op.SID)
			writeWS(t, ws, websocket.TextMessage, frame)
			waitWSClosed(t, ws)
			// The session goes on over polling, and GETs park again.
			if status, body := e.post(op.SID, "4still"); status != http.StatusOK || body != "ok" {
				t.Fatalf("POST: %d %q", status, body)
			}
			if status, body := e.get(op.SID); status != http.StatusOK || body != "4still" {
				t.Fatalf("GET: %d %q", status, body)
			}
		})
	}
}

func TestUpgradeTimeout(t *testing.T) {
	cfg := Config{PingInterval: time.Hour, PingTimeout: time.Hour, UpgradeTimeout: 200 * time.Millisecond}
	e := newEnv(t, cfg, newRecorder(true))
	op := e.handshake()
	ws := e.probe(op.SID)
	start := time.Now()
	waitWSClosed(t, ws)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("probe closed after %v, before the upgrade timeout", d)
	}
	if status, _ := e.post(op.SID, "4after"); status != http.StatusOK {
		t.Fatalf("POST: %d", status)
	}
	if status, body := e.get(op.SID); status != http.StatusOK || body != "4after" {
		t.Fatalf("GET: %d %q", status, body)
	}
}

func TestUpgradeRefused(t *testing.T) {
	t.Run("upgrades disabled", func(t *testing.T) {
		cfg := testConfig()
		cfg.DisableUpgrades = true
		e := newEnv(t, cfg, newRecorder(false))
		op := e.handshake()
		if op.Upgrades == nil || len(op.Upgrades) != 0 {
			t.Errorf("upgrades %v", op.Upgrades)
		}
		ws, _, err := e.dial("EIO=4&transport=websocket&sid=" + op.SID)
		if err == nil {
			waitWSClosed(t, ws)
		}
	})
	t.Run("unknown sid", func(t *testing.T) {
		e := newEnv(t, testConfig(), newRecorder(false))
		_, resp, err := e.dial("EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA")
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("dial: %v %v", resp, err)
		}
	})
}

func TestMaxPayloadPolling(t *testing.T) {
	h := newRecorder(false)
	cfg := testConfig()
	cfg.MaxPayload = 100
	e := newEnv(t, cfg, h)
	op := e.handshake()
	if op.MaxPayload != 100 {
		t.Errorf("advertised maxPayload %d", op.MaxPayload)
	}
	if status, _ := e.post(op.SID, "4"+strings.Repeat("x", 99)); status != http.StatusOK {
		t.Fatalf("POST of exactly MaxPayload: %d", status)
	}
	if status, _ := e.post(op.SID, "4"+strings.Repeat("x", 100)); status != http.StatusRequestEntityTooLarge {
		t.Errorf("POST over MaxPayload: %d, want 413", status)
	}
	if ev := h.nextClose(t); ev.reason != ReasonTransportError || !errors.Is(ev.err, ErrPayloadTooLarge) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
	if status, _ := e.get(op.SID); status != http.StatusBadRequest {
		t.Errorf("GET after 413: %d", status)
	}
}

func TestMaxPayloadPollingChunked(t *testing.T) {
	h := newRecorder(false)
	cfg := testConfig()
	cfg.MaxPayload = 100
	e := newEnv(t, cfg, h)
	op := e.handshake()
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte("4" + strings.Repeat("y", 200)))
		pw.Close()
	}()
	req, err := http.NewRequest(http.MethodPost, e.sidURL(op.SID), pr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked POST over MaxPayload: %d", resp.StatusCode)
	}
	if ev := h.nextClose(t); !errors.Is(ev.err, ErrPayloadTooLarge) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
}

func TestMaxPayloadWebSocket(t *testing.T) {
	h := newRecorder(true)
	cfg := testConfig()
	cfg.MaxPayload = 100
	e := newEnv(t, cfg, h)
	ws, _ := e.wsSession("")
	writeWS(t, ws, websocket.TextMessage, "4"+strings.Repeat("x", 99))
	if got := readWSText(t, ws); len(got) != 100 {
		t.Fatalf("echo of %d bytes", len(got))
	}
	writeWS(t, ws, websocket.TextMessage, "4"+strings.Repeat("x", 100))
	err := waitWSClosed(t, ws)
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("close error %v, want 1009", err)
	}
	if ev := h.nextClose(t); ev.reason != ReasonTransportError || !errors.Is(ev.err, ErrPayloadTooLarge) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
}

func TestCORS(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		origin  string
		want    string // expected Access-Control-Allow-Origin, "" for none
	}{
		{"none configured", nil, "https://a.example", ""},
		// "*" is any origin without credentials, as Node's cors: never an echo, so that
		// no page can read responses with the user's cookies (issue 8.11).
		{"any", []string{"*"}, "https://a.example", "*"},
		{"any, null origin", []string{"*"}, "null", "*"},
		{"any among others", []string{"https://a.example", "*"}, "https://b.example", "*"},
		{"listed", []string{"https://a.example", "https://b.example"}, "https://b.example", "https://b.example"},
		{"not listed", []string{"https://a.example"}, "https://evil.example", ""},
		{"null not listed", []string{"https://a.example"}, "null", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.AllowedOrigins = tt.allowed
			e := newEnv(t, cfg, newRecorder(false))
			hdr := http.Header{}
			if tt.origin != "" {
				hdr.Set("Origin", tt.origin)
			}
			status, _, rh := e.do(http.MethodGet, e.url("EIO=4&transport=polling"), "", hdr)
			if status != http.StatusOK {
				t.Fatalf("handshake %d", status)
			}
			checkCORS(t, rh, tt.want)
			// Preflight.
			hdr.Set("Access-Control-Request-Method", "POST")
			hdr.Set("Access-Control-Request-Headers", "x-custom, content-type")
			status, _, rh = e.do(http.MethodOptions, e.url("EIO=4&transport=polling"), "", hdr)
			if status != http.StatusNoContent {
				t.Errorf("preflight status %d", status)
			}
			checkCORS(t, rh, tt.want)
			if tt.want != "" {
				if got := rh.Get("Access-Control-Allow-Methods"); got != "GET,POST,OPTIONS" {
					t.Errorf("Allow-Methods %q", got)
				}
				if got := rh.Get("Access-Control-Allow-Headers"); got != "x-custom, content-type" {
					t.Errorf("Allow-Headers %q", got)
				}
			}
		})
	}
}

func checkCORS(t *testing.T, h http.Header, want string) {
	t.Helper()
	if got := h.Get("Access-Control-Allow-Origin"); got != want {
		t.Errorf("Allow-Origin %q, want %q", got, want)
	}
	wantCred := ""
	if want != "" && want != "*" {
		wantCred = "true" // credentials only for an origin of an explicit list
	}
	if got := h.Get("Access-Control-Allow-Credentials"); got != wantCred {
		t.Errorf("Allow-Credentials %q, want %q", got, wantCred)
	}
}

func TestWebSocketOrigin(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		origin  string // "self" stands for the server's own origin
		ok      bool
	}{
		{"no origin", nil, "", true},
		{"same origin", nil, "self", true},
		{"cross origin refused by default", nil, "https://evil.example", false},
		{"any", []string{"*"}, "https://evil.example", true},
		{"listed", []string{"https://a.example"}, "https://a.example", true},
		{"not listed", []string{"https://a.example"}, "https://evil.example", false},
		{"same origin with a list", []string{"https://a.example"}, "self", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.AllowedOrigins = tt.allowed
			e := newEnv(t, cfg, newRecorder(false))
			hdr := http.Header{}
			switch tt.origin {
			case "":
			case "self":
				hdr.Set("Origin", e.ts.URL)
			default:
				hdr.Set("Origin", tt.origin)
			}
			d := websocket.Dialer{HandshakeTimeout: testTimeout}
			ws, resp, err := d.Dial(e.wsBase+"?EIO=4&transport=websocket", hdr)
			if resp != nil && resp.Body != nil {
				resp.Body.Close()
			}
			if ws != nil {
				defer ws.Close()
			}
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && (err == nil || resp == nil || resp.StatusCode != http.StatusForbidden) {
				t.Fatalf("accepted or wrong refusal: %v %v", resp, err)
			}
			if ws != nil {
				readWS(t, ws) // the open packet
			}
		})
	}
}

func TestWrongMethodWithSID(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(false))
	op := e.handshake()
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if status, _, _ := e.do(m, e.sidURL(op.SID), "", nil); status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", m, status)
		}
	}
}

func TestClientPingCloses(t *testing.T) {
	t.Run("polling", func(t *testing.T) {
		h := newRecorder(false)
		e := newEnv(t, testConfig(), h)
		op := e.handshake()
		if status, _ := e.post(op.SID, "2"); status != http.StatusBadRequest {
			t.Errorf("POST ping: %d, want 400", status)
		}
		if ev := h.nextClose(t); !errors.Is(ev.err, ErrProtocol) {
			t.Errorf("OnClose %q %v", ev.reason, ev.err)
		}
		if status, _ := e.get(op.SID); status != http.StatusBadRequest {
			t.Errorf("GET after client ping: %d", status)
		}
	})
	t.Run("websocket", func(t *testing.T) {
		h := newRecorder(false)
		e := newEnv(t, testConfig(), h)
		ws, _ := e.wsSession("")
		writeWS(t, ws, websocket.TextMessage, "2")
		waitWSClosed(t, ws)
		if ev := h.nextClose(t); !errors.Is(ev.err, ErrProtocol) {
			t.Errorf("OnClose %q %v", ev.reason, ev.err)
		}
	})
}

func TestSlowConsumer(t *testing.T) {
	h := newRecorder(false)
	cfg := Config{PingInterval: time.Hour, PingTimeout: time.Hour, WriteQueueSize: 4}
	e := newEnv(t, cfg, h)
	op := e.handshake() // the handshake GET has taken the open packet
	c := h.nextOpen(t)
	m := NewTextMessage([]byte("4x"))
	for i := range 4 {
		if err := c.Send(m); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if err := c.Send(m); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Send over the queue size: %v, want ErrQueueFull", err)
	}
	if ev := h.nextClose(t); ev.reason != ReasonTransportError || !errors.Is(ev.err, ErrQueueFull) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
	if err := c.Send(m); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after close: %v", err)
	}
	if status, _ := e.get(op.SID); status != http.StatusBadRequest {
		t.Errorf("GET: %d", status)
	}
}

func TestSlowConsumerWebSocket(t *testing.T) {
	h := newRecorder(false)
	cfg := Config{PingInterval: time.Hour, PingTimeout: time.Hour, WriteQueueSize: 8}
	e := newEnv(t, cfg, h)
	ws, _ := e.wsSession("")
	c := h.nextOpen(t)
	// The client never reads: the socket buffers fill, the writer blocks,
	// and the queue overflows. Sending must never block meanwhile.
	big := NewTextMessage([]byte("4" + strings.Repeat("z", 64<<10)))
	var err error
	for i := 0; i < 10000 && err == nil; i++ {
		err = c.Send(big)
	}
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Send: %v, want ErrQueueFull", err)
	}
	if ev := h.nextClose(t); !errors.Is(ev.err, ErrQueueFull) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
	ws.Close()
}

func TestCloseFlushesPolling(t *testing.T) {
	t.Run("parked GET", func(t *testing.T) {
		h := newRecorder(false)
		e := newEnv(t, testConfig(), h)
		parked := e.parkSignal()
		op := e.handshake()
		c := h.nextOpen(t)
		res := e.asyncGet(context.Background(), op.SID)
		waitParked(t, parked)
		// The queued packets come first, the close packet on the next GET:
		// socket.io-client would act on a "1" before the packets beside it.
		c.mu.Lock()
		c.queue = append(c.queue, NewTextMessage([]byte("4a")), NewTextMessage([]byte("4b")))
		c.shutLocked(ReasonForcedClose, nil, closeFlush, true)
		c.mu.Unlock()
		if r := waitGet(t, res); r.body != "4a\x1e4b" {
			t.Errorf("parked GET: %q", r.body)
		}
		if status, body := e.get(op.SID); status != http.StatusOK || body != "1" {
			t.Errorf("GET after the flush: %d %q", status, body)
		}
		if status, _ := e.get(op.SID); status != http.StatusBadRequest {
			t.Errorf("GET after the close packet: %d", status)
		}
		if ev := h.nextClose(t); ev.reason != ReasonForcedClose {
			t.Errorf("OnClose %q", ev.reason)
		}
	})
	t.Run("next GET", func(t *testing.T) {
		h := newRecorder(false)
		e := newEnv(t, testConfig(), h)
		op := e.handshake()
		c := h.nextOpen(t)
		for _, s := range []string{"4a", "4b", "4c"} {
			if err := c.Send(NewTextMessage([]byte(s))); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
		c.Close() // idempotent
		if err := c.Send(NewTextMessage([]byte("4late"))); !errors.Is(err, ErrClosed) {
			t.Errorf("Send after Close: %v", err)
		}
		if status, body := e.get(op.SID); status != http.StatusOK || body != "4a\x1e4b\x1e4c" {
			t.Errorf("GET after Close: %d %q", status, body)
		}
		if status, body := e.get(op.SID); status != http.StatusOK || body != "1" {
			t.Errorf("second GET: %d %q", status, body)
		}
		if status, _ := e.get(op.SID); status != http.StatusBadRequest {
			t.Errorf("third GET: %d", status)
		}
		if ev := h.nextClose(t); ev.reason != ReasonForcedClose {
			t.Errorf("OnClose %q", ev.reason)
		}
	})
	t.Run("no GET comes", func(t *testing.T) {
		h := newRecorder(false)
		e := newEnv(t, testConfig(), h)
		finalized := make(chan struct{})
		e.srv.testHooks.finalized = func(*Conn) { close(finalized) }
		e.handshake()
		c := h.nextOpen(t)
		c.Close()
		h.nextClose(t)
		// The session is given up after the bound (PingTimeout).
		select {
		case <-finalized:
		case <-time.After(testTimeout):
			t.Fatal("lingering session never dropped")
		}
		if e.srv.Count() != 0 {
			t.Errorf("Count() = %d", e.srv.Count())
		}
	})
}

func TestCloseFlushesWebSocket(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	ws, _ := e.wsSession("")
	c := h.nextOpen(t)
	var want []string
	for i := range 50 {
		s := fmt.Sprintf("4m%d", i)
		want = append(want, s)
		if err := c.Send(NewTextMessage([]byte(s))); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	for _, w := range want {
		if got := readWSText(t, ws); got != w {
			t.Fatalf("got %q, want %q", got, w)
		}
	}
	if err := waitWSClosed(t, ws); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("close: %v, want a 1000 close frame", err)
	}
	if ev := h.nextClose(t); ev.reason != ReasonForcedClose {
		t.Errorf("OnClose %q", ev.reason)
	}
}

func TestCloseFromOnMessage(t *testing.T) {
	h := newRecorder(false)
	h.onMessage = func(c *Conn, data []byte, _ bool) {
		if string(data) == "bye" {
			c.Close()
		}
	}
	e := newEnv(t, testConfig(), h)
	ws, _ := e.wsSession("")
	writeWS(t, ws, websocket.TextMessage, "4bye")
	writeWS(t, ws, websocket.TextMessage, "4after")
	waitWSClosed(t, ws)
	if ev := h.nextClose(t); ev.reason != ReasonForcedClose {
		t.Errorf("OnClose %q", ev.reason)
	}
	if m := h.nextMsg(t); m.data != "bye" {
		t.Errorf("message %q", m.data)
	}
	select {
	case m := <-h.msgs:
		t.Errorf("message %q delivered after Close", m.data)
	default:
	}
}

// OnClose waits for the OnMessage in progress and no OnMessage follows it.
func TestOnCloseAfterOnMessage(t *testing.T) {
	var mu sync.Mutex
	var events []string
	inMessage := make(chan struct{})
	release := make(chan struct{})
	h := newRecorder(false)
	h.onMessage = func(_ *Conn, data []byte, _ bool) {
		mu.Lock()
		events = append(events, "message "+string(data))
		mu.Unlock()
		if string(data) == "block" {
			close(inMessage)
			<-release
		}
	}
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	op := e.handshake()
	c := h.nextOpen(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.post(op.SID, "4block\x1e4next")
	}()
	<-inMessage
	c.Close()
	select {
	case <-h.closes:
		t.Fatal("OnClose ran while OnMessage was in progress")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	h.nextClose(t)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(events, ",") != "message block" {
		t.Errorf("events %v", events)
	}
}

func TestMessageGroupsAtomic(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	ws, _ := e.wsSession("")
	c := h.nextOpen(t)
	const senders, groups = 4, 50
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range groups {
				head := NewTextMessage(fmt.Appendf(nil, "4h%d-%d", s, g))
				att := NewBinaryMessage(fmt.Appendf(nil, "a%d-%d", s, g))
				if err := c.Send(head, att); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for range senders * groups {
		typ, head := readWS(t, ws)
		typ2, att := readWS(t, ws)
		if typ != websocket.TextMessage || typ2 != websocket.BinaryMessage || string(head[2:]) != string(att[1:]) {
			t.Fatalf("group split: %q then %q", head, att)
		}
	}
}

func TestSharedMessage(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	var socks []*websocket.Conn
	var conns []*Conn
	for range 3 {
		ws, _ := e.wsSession("")
		socks = append(socks, ws)
		conns = append(conns, h.nextOpen(t))
	}
	op := e.handshake()
	pc := h.nextOpen(t)
	text := NewTextMessage([]byte(`42["news",1]`))
	bin := NewBinaryMessage([]byte{9, 8, 7})
	for _, c := range append(conns, pc) {
		if err := c.Send(text, bin); err != nil {
			t.Fatal(err)
		}
	}
	for _, ws := range socks {
		if typ, d := readWS(t, ws); typ != websocket.TextMessage || string(d) != `42["news",1]` {
			t.Errorf("text %d %q", typ, d)
		}
		if typ, d := readWS(t, ws); typ != websocket.BinaryMessage || string(d) != "\x09\x08\x07" {
			t.Errorf("binary %d %v", typ, d)
		}
	}
	if text.hdrLen != 2 || bin.hdrLen != 2 {
		t.Error("the shared messages carry no websocket frame header")
	}
	if status, body := e.get(op.SID); status != http.StatusOK || body != `42["news",1]`+"\x1ebCQgH" {
		t.Errorf("polling recipient: %d %q", status, body)
	}
}

func TestSendVolatile(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	op := e.handshake()
	c := h.nextOpen(t)
	m := NewTextMessage([]byte("4v"))
	sent := 0
	for range volatileBacklog + 10 {
		if c.SendVolatile(m) {
			sent++
		}
	}
	if sent != volatileBacklog {
		t.Errorf("%d volatile messages queued, want %d", sent, volatileBacklog)
	}
	// During an upgrade nothing volatile is queued.
	ws := e.probe(op.SID)
	if status, _ := e.get(op.SID); status != http.StatusOK {
		t.Fatal("GET during upgrade")
	}
	if c.SendVolatile(m) {
		t.Error("volatile message queued during an upgrade")
	}
	writeWS(t, ws, websocket.TextMessage, "5")
	c.Close()
	h.nextClose(t)
	if c.SendVolatile(m) {
		t.Error("volatile message queued after close")
	}
}

func TestServerClose(t *testing.T) {
	h := newRecorder(false)
	srv := NewServer(Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	e := newEnvWith(t, srv, h)
	parked := e.parkSignal()
	// A polling session with a parked GET, one without, and a websocket.
	op1 := e.handshake()
	h.nextOpen(t)
	res := e.asyncGet(context.Background(), op1.SID)
	waitParked(t, parked)
	e.handshake()
	h.nextOpen(t)
	ws, _ := e.wsSession("")
	wc := h.nextOpen(t)
	if err := wc.Send(NewTextMessage([]byte("4last"))); err != nil {
		t.Fatal(err)
	}
	if srv.Count() != 3 {
		t.Fatalf("Count() = %d", srv.Count())
	}
	srv.Close()
	if srv.Count() != 0 {
		t.Errorf("Count() after Close = %d", srv.Count())
	}
	for range 3 {
		select {
		case ev := <-h.closes:
			if ev.reason != ReasonForcedClose {
				t.Errorf("OnClose %q", ev.reason)
			}
		default:
			t.Fatal("Close returned before every OnClose")
		}
	}
	if r := waitGet(t, res); r.status != http.StatusOK || r.body != "1" {
		t.Errorf("parked GET at server close: %d %q", r.status, r.body)
	}
	if got := readWSText(t, ws); got != "4last" {
		t.Errorf("websocket got %q before the close", got)
	}
	waitWSClosed(t, ws)
	status, _, _ := e.do(http.MethodGet, e.url("EIO=4&transport=polling"), "", nil)
	if status != http.StatusServiceUnavailable {
		t.Errorf("handshake after Close: %d", status)
	}
	srv.Close() // idempotent
}

func TestAllowRequest(t *testing.T) {
	cfg := testConfig()
	cfg.AllowRequest = func(r *http.Request) error {
		if r.URL.Query().Get("token") != "ok" {
			return errors.New("no token")
		}
		return nil
	}
	e := newEnv(t, cfg, newRecorder(false))
	status, body, _ := e.do(http.MethodGet, e.url("EIO=4&transport=polling"), "", nil)
	if status != http.StatusForbidden || body != `{"code":4,"message":"Forbidden"}` {
		t.Errorf("refused handshake: %d %q", status, body)
	}
	if _, resp, err := e.dial("EIO=4&transport=websocket"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("refused websocket: %v %v", resp, err)
	}
	if status, _, _ := e.do(http.MethodGet, e.url("EIO=4&transport=polling&token=ok"), "", nil); status != http.StatusOK {
		t.Errorf("allowed handshake: %d", status)
	}
}

func TestCookie(t *testing.T) {
	cfg := testConfig()
	cfg.Cookie = "io"
	e := newEnv(t, cfg, newRecorder(false))
	status, body, hdr := e.do(http.MethodGet, e.url("EIO=4&transport=polling"), "", nil)
	if status != http.StatusOK {
		t.Fatal(status)
	}
	op := parseOpen(t, body)
	if got, want := hdr.Get("Set-Cookie"), "io="+op.SID+"; Path=/; HttpOnly; SameSite=Lax"; got != want {
		t.Errorf("Set-Cookie %q, want %q", got, want)
	}
	d := websocket.Dialer{HandshakeTimeout: testTimeout}
	ws, resp, err := d.Dial(e.wsBase+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	wop := parseOpen(t, string(mustRead(t, ws)))
	if got := resp.Header.Get("Set-Cookie"); got != "io="+wop.SID+"; Path=/; HttpOnly; SameSite=Lax" {
		t.Errorf("websocket Set-Cookie %q", got)
	}
}

func mustRead(tb testing.TB, ws *websocket.Conn) []byte {
	tb.Helper()
	_, d := readWS(tb, ws)
	return d
}

func TestTransportsConfig(t *testing.T) {
	t.Run("websocket only", func(t *testing.T) {
		cfg := testConfig()
		cfg.Transports = []string{TransportWebSocket}
		e := newEnv(t, cfg, newRecorder(false))
		if status, _, _ := e.do(http.MethodGet, e.url("EIO=4&transport=polling"), "", nil); status != http.StatusBadRequest {
			t.Errorf("polling handshake: %d", status)
		}
		e.wsSession("")
	})
	t.Run("polling only", func(t *testing.T) {
		cfg := testConfig()
		cfg.Transports = []string{TransportPolling}
		e := newEnv(t, cfg, newRecorder(false))
		op := e.handshake()
		if len(op.Upgrades) != 0 {
			t.Errorf("upgrades %v", op.Upgrades)
		}
		if _, resp, err := e.dial("EIO=4&transport=websocket"); err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("websocket handshake: %v %v", resp, err)
		}
	})
}

func TestRequestData(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, testConfig(), h)
	hdr := http.Header{"Origin": {"https://a.example"}, "X-Test": {"yes"}}
	before := time.Now()
	e.do(http.MethodGet, e.url("EIO=4&transport=polling&token=abc&t=1"), "", hdr)
	c := h.nextOpen(t)
	r := c.Request()
	if r.Query.Get("token") != "abc" || r.Header.Get("X-Test") != "yes" || !r.XDomain || r.Secure ||
		!strings.Contains(r.URL, "token=abc") || r.RemoteAddr == "" || r.Time.Before(before) {
		t.Errorf("request %+v", r)
	}
	// Node's handshake headers hold host; net/http keeps it out of the request's headers.
	if u, _ := url.Parse(e.url("")); r.Header.Get("Host") != u.Host {
		t.Errorf("Host header %q, want %q", r.Header.Get("Host"), u.Host)
	}
	if c.Context() != nil {
		t.Error("context set")
	}
	c.SetContext(42)
	if c.Context() != 42 {
		t.Errorf("context %v", c.Context())
	}
}

func TestMessagesOwnedByHandler(t *testing.T) {
	h := newRecorder(false)
	var got [][]byte
	var mu sync.Mutex
	h.onMessage = func(_ *Conn, data []byte, _ bool) {
		mu.Lock()
		got = append(got, data)
		mu.Unlock()
		_ = append(data, "XXXXXXXX"...) // must not reach the next message
	}
	e := newEnv(t, testConfig(), h)
	op := e.handshake()
	e.post(op.SID, "4one\x1e4two\x1ebAQI=")
	ws, _ := e.wsSession("")
	writeWS(t, ws, websocket.TextMessage, "4three")
	writeWS(t, ws, websocket.TextMessage, "4four")
	for range 5 {
		h.nextMsg(t)
	}
	mu.Lock()
	defer mu.Unlock()
	var s []string
	for _, g := range got {
		s = append(s, string(g))
	}
	if strings.Join(s, ",") != "one,two,\x01\x02,three,four" {
		t.Errorf("messages %q", s)
	}
}

func TestConfigDefaults(t *testing.T) {
	s := NewServer(Config{}, newRecorder(false))
	defer s.Close()
	c := s.Config()
	if c.PingInterval != 25*time.Second || c.PingTimeout != 20*time.Second || c.UpgradeTimeout != 10*time.Second ||
		c.MaxPayload != 1e6 || strings.Join(c.Transports, ",") != "polling,websocket" ||
		c.WriteQueueSize != 1024 || c.ReadBufferSize != 1024 || c.WriteBufferSize != 4096 {
		t.Errorf("defaults %+v", c)
	}
	c.Transports[0] = "changed"
	if s.Config().Transports[0] != TransportPolling {
		t.Error("Config() shares its slices")
	}
}

func TestTransportMismatchPostDuringUpgradeAllowed(t *testing.T) {
	// Until "5" the client may still POST over polling.
	h := newRecorder(true)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	op := e.handshake()
	ws := e.probe(op.SID)
	if status, _ := e.post(op.SID, "4during"); status != http.StatusOK {
		t.Fatalf("POST during upgrade: %d", status)
	}
	if m := h.nextMsg(t); m.data != "during" {
		t.Fatalf("message %q", m.data)
	}
	// The echo is delivered by the next GET, or over the websocket after "5".
	status, body := e.get(op.SID)
	if status != http.StatusOK || body != "4during" {
		t.Fatalf("GET during upgrade: %d %q", status, body)
	}
	writeWS(t, ws, websocket.TextMessage, "5")
}

func TestUpgradeB64(t *testing.T) {
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, newRecorder(true))
	op := e.handshake()
	ws, _, err := e.dial("EIO=4&transport=websocket&b64=1&sid=" + op.SID)
	if err != nil {
		t.Fatal(err)
	}
	writeWS(t, ws, websocket.TextMessage, "2probe")
	if got := readWSText(t, ws); got != "3probe" {
		t.Fatalf("probe answer %q", got)
	}
	writeWS(t, ws, websocket.TextMessage, "5")
	writeWS(t, ws, websocket.BinaryMessage, "\x01\x02")
	if got := readWSText(t, ws); got != "bAQI=" {
		t.Errorf("binary echo to a b64 client after upgrade: %q", got)
	}
}

// A GET that arrives during the upgrade and is overtaken by the client's
// "5" (the client sent it after "5") is a polling request after the upgrade.
func TestUpgradeGetOvertakenByUpgrade(t *testing.T) {
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, newRecorder(true))
	e.srv.upgradeGrace = testTimeout
	parked := e.parkSignal()
	op := e.handshake()
	ws := e.probe(op.SID)
	res := e.asyncGet(context.Background(), op.SID)
	waitParked(t, parked)
	writeWS(t, ws, websocket.TextMessage, "5")
	if r := waitGet(t, res); r.status != http.StatusBadRequest {
		t.Errorf("GET overtaken by the upgrade: %d %q, want 400", r.status, r.body)
	}
	writeWS(t, ws, websocket.TextMessage, "4hello")
	if got := readWSText(t, ws); got != "4hello" {
		t.Errorf("echo %q", got)
	}
}

func TestPollingBinaryBodyRefused(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, testConfig(), h)
	op := e.handshake()
	hdr := http.Header{"Content-Type": {"application/octet-stream"}}
	req, err := http.NewRequest(http.MethodPost, e.sidURL(op.SID), strings.NewReader("4x"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("octet-stream POST: %d, want 400", resp.StatusCode)
	}
	if ev := h.nextClose(t); !errors.Is(ev.err, ErrProtocol) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
}
