package engineio

// Tests of the behaviours the official Engine.IO v4 suite checks, written
// for this package against an in-process server with the suite's timings.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sockgate/sockgate/internal/eiocodec"
)

func TestHandshakePolling(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(false))
	status, body, hdr := e.do(http.MethodGet, e.url("EIO=4&transport=polling&t=abc"), "", nil)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if ct := hdr.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := hdr.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body[1:]), &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("open packet lacks %q", k)
		}
	}
	if len(keys) != 5 {
		t.Errorf("open packet has %d keys: %s", len(keys), body)
	}
	op := parseOpen(t, body)
	if len(op.SID) != 20 || strings.Join(op.Upgrades, ",") != "websocket" ||
		op.PingInterval != 300 || op.PingTimeout != 200 || op.MaxPayload != 1000000 {
		t.Errorf("open packet %+v", op)
	}
	c := e.h.nextOpen(t)
	if c.ID() != op.SID || c.Transport() != TransportPolling {
		t.Errorf("OnOpen conn %q on %s", c.ID(), c.Transport())
	}
	if e.srv.Count() != 1 {
		t.Errorf("Count() = %d", e.srv.Count())
	}
}

func TestHandshakeErrors(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(false))
	tests := []struct {
		name, method, query string
		status, code        int
	}{
		{"no EIO", "GET", "transport=polling", 400, CodeUnsupportedProtocolVersion},
		{"EIO abc", "GET", "EIO=abc&transport=polling", 400, CodeUnsupportedProtocolVersion},
		{"EIO 3", "GET", "EIO=3&transport=polling", 400, CodeUnsupportedProtocolVersion},
		{"EIO 5", "GET", "EIO=5&transport=polling", 400, CodeUnsupportedProtocolVersion},
		{"no transport", "GET", "EIO=4", 400, CodeUnknownTransport},
		{"transport abc", "GET", "EIO=4&transport=abc", 400, CodeUnknownTransport},
		{"transport webtransport", "GET", "EIO=4&transport=webtransport", 400, CodeUnknownTransport},
		{"POST handshake", "POST", "EIO=4&transport=polling", 400, CodeBadHandshakeMethod},
		{"PUT handshake", "PUT", "EIO=4&transport=polling", 400, CodeBadHandshakeMethod},
		{"websocket without upgrade", "GET", "EIO=4&transport=websocket", 400, CodeBadRequest},
		{"unknown sid GET", "GET", "EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", 400, CodeUnknownSID},
		{"unknown sid POST", "POST", "EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", 400, CodeUnknownSID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, hdr := e.do(tt.method, e.url(tt.query), "", nil)
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var eb ErrorBody
			if err := json.Unmarshal([]byte(body), &eb); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if eb.Code != tt.code || eb.Message != errorMessages[tt.code] {
				t.Errorf("body %+v, want code %d", eb, tt.code)
			}
		})
	}
	if e.srv.Count() != 0 {
		t.Errorf("failed handshakes left %d sessions", e.srv.Count())
	}
}

func TestHandshakeWebSocket(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(false))
	_, op := e.wsSession("")
	if len(op.SID) != 20 || op.Upgrades == nil || len(op.Upgrades) != 0 ||
		op.PingInterval != 300 || op.PingTimeout != 200 || op.MaxPayload != 1000000 {
		t.Errorf("open packet %+v", op)
	}
	c := e.h.nextOpen(t)
	if c.ID() != op.SID || c.Transport() != TransportWebSocket {
		t.Errorf("OnOpen conn %q on %s", c.ID(), c.Transport())
	}
}

func TestHandshakeWebSocketErrors(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(false))
	for _, q := range []string{"transport=websocket", "EIO=abc&transport=websocket", "EIO=4", "EIO=4&transport=abc"} {
		ws, resp, err := e.dial(q)
		if err == nil {
			ws.Close()
			t.Errorf("%s: websocket opened", q)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: response %v, want 400", q, resp)
		}
	}
}

func TestPollingEcho(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(true))
	for _, payload := range []string{
		"4hello",
		"4test1\x1e4test2\x1e4test3",
		"4hello\x1ebAQIDBA==",
	} {
		op := e.handshake()
		status, body := e.post(op.SID, payload)
		if status != http.StatusOK || body != "ok" {
			t.Fatalf("POST %q: %d %q", payload, status, body)
		}
		// Everything queued comes back in one body, with nothing before it.
		status, body = e.get(op.SID)
		if status != http.StatusOK || body != payload {
			t.Fatalf("GET after POST %q: %d %q", payload, status, body)
		}
	}
}

func TestPostResponseHeaders(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(false))
	op := e.handshake()
	status, body, hdr := e.do(http.MethodPost, e.sidURL(op.SID), "4x", nil)
	if status != 200 || body != "ok" || hdr.Get("Content-Type") != "text/html" || hdr.Get("Content-Length") != "2" {
		t.Fatalf("POST: %d %q %v", status, body, hdr)
	}
}

func TestPollingInvalidPacket(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, testConfig(), h)
	for _, payload := range []string{"abc", "", "4a\x1e", "4a\x1ebA", "7"} {
		op := e.handshake()
		c := h.nextOpen(t)
		status, _ := e.post(op.SID, payload)
		if status != http.StatusBadRequest {
			t.Errorf("POST %q: status %d, want 400", payload, status)
		}
		if ev := h.nextClose(t); ev.c != c || ev.reason != ReasonParseError || !errors.Is(ev.err, eiocodec.ErrInvalidPacket) {
			t.Errorf("POST %q: OnClose %q %v", payload, ev.reason, ev.err)
		}
		if status, _ := e.get(op.SID); status != http.StatusBadRequest {
			t.Errorf("GET after POST %q: status %d, want 400", payload, status)
		}
	}
}

func TestPollingDuplicateGet(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, testConfig(), h)
	parked := e.parkSignal()
	op := e.handshake()
	first := e.asyncGet(context.Background(), op.SID)
	waitParked(t, parked)
	if status, _ := e.get(op.SID); status != http.StatusBadRequest {
		t.Errorf("second GET: status %d, want 400", status)
	}
	if r := waitGet(t, first); r.status != http.StatusOK || r.body != "1" {
		t.Errorf("first GET: %d %q, want 200 \"1\"", r.status, r.body)
	}
	if status, _ := e.get(op.SID); status != http.StatusBadRequest {
		t.Errorf("GET after close: status %d, want 400", status)
	}
	if ev := h.nextClose(t); ev.reason != ReasonTransportError || !errors.Is(ev.err, ErrProtocol) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
}

func TestPollingDuplicatePost(t *testing.T) {
	h := newRecorder(false)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	h.onMessage = func(*Conn, []byte, bool) {
		entered <- struct{}{}
		<-release
	}
	e := newEnv(t, testConfig(), h)
	op := e.handshake()
	done := make(chan int, 1)
	go func() {
		status, _ := e.post(op.SID, "4slow")
		done <- status
	}()
	<-entered
	status, _ := e.post(op.SID, "4second")
	close(release)
	if status != http.StatusBadRequest {
		t.Errorf("overlapping POST: status %d, want 400", status)
	}
	<-done
	if ev := h.nextClose(t); ev.reason != ReasonTransportError || !errors.Is(ev.err, ErrProtocol) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
	if status, _ := e.get(op.SID); status != http.StatusBadRequest {
		t.Errorf("GET after close: status %d", status)
	}
}

func TestPollingCancelledGet(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, testConfig(), h)
	parked := e.parkSignal()
	op := e.handshake()
	ctx, cancel := context.WithCancel(context.Background())
	res := e.asyncGet(ctx, op.SID)
	waitParked(t, parked)
	cancel()
	if r := <-res; r.err == nil {
		t.Fatalf("cancelled GET returned %d %q", r.status, r.body)
	}
	if ev := h.nextClose(t); ev.reason != ReasonTransportClose || !errors.Is(ev.err, ErrPollAborted) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
	if status, _ := e.get(op.SID); status != http.StatusBadRequest {
		t.Errorf("GET after cancelled GET: status %d, want 400", status)
	}
}

func TestWebSocketEcho(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(true))
	ws, _ := e.wsSession("")
	writeWS(t, ws, websocket.TextMessage, "4hello")
	if got := readWSText(t, ws); got != "4hello" {
		t.Errorf("text echo %q", got)
	}
	writeWS(t, ws, websocket.BinaryMessage, "\x01\x02\x03\x04")
	for {
		typ, data := readWS(t, ws)
		if typ == websocket.TextMessage && string(data) == "2" {
			continue
		}
		if typ != websocket.BinaryMessage || string(data) != "\x01\x02\x03\x04" {
			t.Errorf("binary echo: type %d %v", typ, data)
		}
		break
	}
	// Base64 text binaries from the client are binary messages too.
	writeWS(t, ws, websocket.TextMessage, "bAQIDBA==")
	for {
		typ, data := readWS(t, ws)
		if typ == websocket.TextMessage && string(data) == "2" {
			continue
		}
		if typ != websocket.BinaryMessage || string(data) != "\x01\x02\x03\x04" {
			t.Errorf("b64 binary echo: type %d %v", typ, data)
		}
		break
	}
}

func TestWebSocketB64(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(true))
	ws, _ := e.wsSession("&b64=1")
	writeWS(t, ws, websocket.BinaryMessage, "\x01\x02\x03\x04")
	if got := readWSText(t, ws); got != "bAQIDBA==" {
		t.Errorf("binary echo to a b64 client %q", got)
	}
}

func TestWebSocketInvalidPacket(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, testConfig(), h)
	for _, frame := range []string{"abc", "", "7", "b!!"} {
		ws, _ := e.wsSession("")
		writeWS(t, ws, websocket.TextMessage, frame)
		waitWSClosed(t, ws)
		if ev := h.nextClose(t); ev.reason != ReasonParseError {
			t.Errorf("frame %q: OnClose %q %v", frame, ev.reason, ev.err)
		}
	}
}

func TestHeartbeatPolling(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(false))
	op := e.handshake()
	start := time.Now()
	for i := range 3 {
		status, body := e.get(op.SID)
		if status != http.StatusOK || body != "2" {
			t.Fatalf("cycle %d: GET %d %q, want ping", i, status, body)
		}
		if i == 0 && time.Since(start) < 250*time.Millisecond {
			t.Errorf("first ping after %v, want about the ping interval", time.Since(start))
		}
		if status, _ := e.post(op.SID, "3"); status != http.StatusOK {
			t.Fatalf("cycle %d: POST pong %d", i, status)
		}
	}
}

func TestPingTimeoutPolling(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, testConfig(), h)
	start := time.Now()
	op := e.handshake()
	ev := h.nextClose(t)
	if ev.reason != ReasonPingTimeout {
		t.Fatalf("OnClose %q %v", ev.reason, ev.err)
	}
	// pingInterval + pingTimeout after the handshake, not later.
	if d := time.Since(start); d < 450*time.Millisecond || d > 2*time.Second {
		t.Errorf("ping timeout after %v", d)
	}
	if status, _ := e.get(op.SID); status != http.StatusBadRequest {
		t.Errorf("GET after ping timeout: %d", status)
	}
}

// A request that comes after the pong deadline finds the session gone even
// if the timer has not run yet.
func TestPingDeadlineCheckedOnRequest(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	op := e.handshake()
	c := h.nextOpen(t)
	c.mu.Lock()
	c.hbPhase = hbPong
	c.hbAt = time.Now().Add(-time.Millisecond)
	c.mu.Unlock()
	if status, _ := e.post(op.SID, "3"); status != http.StatusBadRequest {
		t.Errorf("late pong: status %d, want 400", status)
	}
	if ev := h.nextClose(t); ev.reason != ReasonPingTimeout {
		t.Errorf("OnClose %q", ev.reason)
	}
}

func TestHeartbeatWebSocket(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(false))
	ws, _ := e.wsSession("")
	var pongAt time.Time
	for i := range 3 {
		typ, data := readWS(t, ws)
		if typ != websocket.TextMessage || string(data) != "2" {
			t.Fatalf("cycle %d: %d %q, want ping", i, typ, data)
		}
		// The interval is re-armed when the pong arrives.
		if i > 0 {
			if d := time.Since(pongAt); d < 250*time.Millisecond {
				t.Errorf("cycle %d: ping %v after the pong, want the ping interval", i, d)
			}
		}
		writeWS(t, ws, websocket.TextMessage, "3")
		pongAt = time.Now()
	}
}

func TestPingTimeoutWebSocket(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, testConfig(), h)
	ws, _ := e.wsSession("")
	waitWSClosed(t, ws)
	if ev := h.nextClose(t); ev.reason != ReasonPingTimeout {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
}

func TestPollingClientClose(t *testing.T) {
	t.Run("parked GET", func(t *testing.T) {
		h := newRecorder(false)
		e := newEnv(t, testConfig(), h)
		parked := e.parkSignal()
		op := e.handshake()
		res := e.asyncGet(context.Background(), op.SID)
		waitParked(t, parked)
		if status, body := e.post(op.SID, "1"); status != http.StatusOK || body != "ok" {
			t.Errorf("POST close: %d %q", status, body)
		}
		if r := waitGet(t, res); r.status != http.StatusOK || r.body != "6" {
			t.Errorf("parked GET: %d %q, want 200 \"6\"", r.status, r.body)
		}
		if status, _ := e.get(op.SID); status != http.StatusBadRequest {
			t.Errorf("GET after close: %d", status)
		}
		if ev := h.nextClose(t); ev.reason != ReasonTransportClose {
			t.Errorf("OnClose %q", ev.reason)
		}
	})
	t.Run("GET after the close", func(t *testing.T) {
		e := newEnv(t, testConfig(), newRecorder(false))
		op := e.handshake()
		if status, _ := e.post(op.SID, "1"); status != http.StatusOK {
			t.Errorf("POST close: %d", status)
		}
		// The in-flight GET of a closing client still gets its noop once.
		if status, body := e.get(op.SID); status != http.StatusOK || body != "6" {
			t.Errorf("GET: %d %q, want 200 \"6\"", status, body)
		}
		if status, _ := e.get(op.SID); status != http.StatusBadRequest {
			t.Errorf("second GET: %d", status)
		}
		if e.srv.Count() != 0 {
			t.Errorf("Count() = %d", e.srv.Count())
		}
	})
}

func TestWebSocketClientClose(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, testConfig(), h)
	ws, _ := e.wsSession("")
	start := time.Now()
	writeWS(t, ws, websocket.TextMessage, "1")
	waitWSClosed(t, ws)
	ev := h.nextClose(t)
	if ev.reason != ReasonTransportClose {
		t.Errorf("OnClose %q", ev.reason)
	}
	// At once, not through the ping timeout.
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("closed after %v", d)
	}
}

func TestUpgrade(t *testing.T) {
	h := newRecorder(true)
	e := newEnv(t, testConfig(), h)
	op := e.handshake()
	c := h.nextOpen(t)
	ws := e.probe(op.SID)
	if status, body := e.get(op.SID); status != http.StatusOK || body != "6" {
		t.Fatalf("GET during upgrade: %d %q, want noop", status, body)
	}
	writeWS(t, ws, websocket.TextMessage, "5")
	writeWS(t, ws, websocket.TextMessage, "4hello")
	if got := readWSText(t, ws); got != "4hello" {
		t.Fatalf("echo over the upgraded socket %q", got)
	}
	if c.Transport() != TransportWebSocket {
		t.Errorf("Transport() = %s", c.Transport())
	}
}

func TestUpgradeThenPollingRejected(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(true))
	op := e.handshake()
	ws := e.probe(op.SID)
	writeWS(t, ws, websocket.TextMessage, "5")
	// The echo proves that "5" was handled before the polling requests.
	writeWS(t, ws, websocket.TextMessage, "4sync")
	if got := readWSText(t, ws); got != "4sync" {
		t.Fatalf("echo %q", got)
	}
	if status, _ := e.get(op.SID); status != http.StatusBadRequest {
		t.Errorf("GET after upgrade: %d, want 400", status)
	}
	if status, _ := e.post(op.SID, "4x"); status != http.StatusBadRequest {
		t.Errorf("POST after upgrade: %d, want 400", status)
	}
	writeWS(t, ws, websocket.TextMessage, "4hello")
	if got := readWSText(t, ws); got != "4hello" {
		t.Errorf("echo after rejected polling %q", got)
	}
}

func TestUpgradeThenSecondWebSocketClosed(t *testing.T) {
	e := newEnv(t, testConfig(), newRecorder(true))
	op := e.handshake()
	ws := e.probe(op.SID)
	writeWS(t, ws, websocket.TextMessage, "5")
	writeWS(t, ws, websocket.TextMessage, "4sync")
	readWSText(t, ws)
	ws2, _, err := e.dial("EIO=4&transport=websocket&sid=" + op.SID)
	if err == nil {
		waitWSClosed(t, ws2)
	}
	writeWS(t, ws, websocket.TextMessage, "4hello")
	if got := readWSText(t, ws); got != "4hello" {
		t.Errorf("echo after second websocket %q", got)
	}
}
