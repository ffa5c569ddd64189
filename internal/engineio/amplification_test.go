package engineio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// rawDial opens a TCP connection to the test server.
func (e *env) rawDial(tb testing.TB) net.Conn {
	tb.Helper()
	nc, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	return nc
}

// enginePath is the request path of the test server's engine.
const enginePath = "/engine.io/"

// readHead reads an HTTP response head byte by byte (so that nothing after it is taken).
func readHead(tb testing.TB, nc net.Conn) string {
	tb.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(testTimeout))
	var head []byte
	one := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		if _, err := nc.Read(one); err != nil {
			tb.Fatalf("response head: %v (%q)", err, head)
		}
		head = append(head, one[0])
	}
	_ = nc.SetReadDeadline(time.Time{})
	return string(head)
}

// rawWebSocket opens a websocket session on a bare socket, with no client buffers: the
// server's open frame is left unread.
func (e *env) rawWebSocket(tb testing.TB) net.Conn {
	tb.Helper()
	nc := e.rawDial(tb)
	req := "GET " + enginePath + "?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		tb.Fatal(err)
	}
	if head := readHead(tb, nc); !strings.HasPrefix(head, "HTTP/1.1 101") {
		tb.Fatalf("handshake: %q", head)
	}
	return nc
}

// announce returns the header of a masked text frame of n bytes and the first part of
// its payload.
func announce(n, part int) []byte {
	b := []byte{0x81, 0x80 | 127}
	b = binary.BigEndian.AppendUint64(b, uint64(n))
	b = append(b, testKey[:]...)
	return append(b, bytes.Repeat([]byte{'4' ^ testKey[0]}, part)...)
}

// stalledPost starts a POST on session sid announcing n bytes, sends part of them and
// stops.
func (e *env) stalledPost(tb testing.TB, sid string, n, part int) net.Conn {
	tb.Helper()
	nc := e.rawDial(tb)
	req := fmt.Sprintf("POST %s?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n\r\n%s",
		enginePath, sid, n, strings.Repeat("4", part))
	if _, err := nc.Write([]byte(req)); err != nil {
		tb.Fatal(err)
	}
	return nc
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// amplificationHeapBound is the documented bound (README, Security): 1,000 websockets
// announcing frames of 999,999 bytes and 1,000 POSTs announcing as much, each having sent
// 1 KB, grow the server's heap by less than this. Before buffers grew with the bytes
// received, they took about 2 GB.
const amplificationHeapBound = 64 << 20

// Issue 8.3: announced sizes cost nothing until their bytes arrive.
func TestAnnouncedSizesKeepHeapBounded(t *testing.T) {
	const n, announced, part = 1000, 999_999, 512
	h := newRecorder(false)
	h.opens = make(chan *Conn, 2*n)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour, PostReadTimeout: time.Hour}, h)
	sids := make([]string, n)
	for i := range sids {
		sids[i] = e.handshake().SID
	}
	e.client.CloseIdleConnections()
	before := heapAlloc()

	conns := make([]net.Conn, 0, 2*n)
	for range n {
		nc := e.rawWebSocket(t)
		if _, err := nc.Write(announce(announced, part)); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
	}
	for _, sid := range sids {
		conns = append(conns, e.stalledPost(t, sid, announced-1, part))
	}
	// A second part, in segments of their own: reading more of a message than its first
	// segment is where an announced size used to be allocated.
	for _, nc := range conns {
		if _, err := nc.Write(bytes.Repeat([]byte{'4'}, part)); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until the server holds every part: 2,000 partial messages of 1 KB.
	deadline := time.Now().Add(testTimeout)
	for e.srv.partial.used.Load() < 2*n*2*part && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	grown := int64(heapAlloc()) - int64(before)
	t.Logf("heap grew by %.1f MiB for %d websockets and %d POSTs each announcing %d bytes (%d held by partial messages)",
		float64(grown)/(1<<20), n, n, announced, e.srv.partial.used.Load())
	if grown > amplificationHeapBound {
		t.Errorf("heap grew by %d bytes, over the bound of %d", grown, amplificationHeapBound)
	}
	for _, nc := range conns {
		nc.Close()
	}
	for range 2 * n {
		h.nextClose(t)
	}
	waitHeld(t, e.srv, 0)
}

// waitHeld waits until the server holds want bytes for partial messages.
func waitHeld(tb testing.TB, s *Server, want int64) {
	tb.Helper()
	deadline := time.Now().Add(testTimeout)
	for s.partial.used.Load() != want {
		if time.Now().After(deadline) {
			tb.Fatalf("held %d bytes, want %d", s.partial.used.Load(), want)
		}
		runtime.Gosched()
	}
}

// The server-wide cap on bytes held by partial messages closes the websocket that would
// exceed it with 1013, and refuses the POST with 503; other sessions go on.
func TestPartialMessagesCap(t *testing.T) {
	h := newRecorder(true)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour, MaxBufferedBytes: 96 << 10}, h)
	ws1, _ := e.wsSession("")
	h.nextOpen(t)
	// 60 KB of a 200 KB message: held.
	if _, err := ws1.UnderlyingConn().Write(announce(200<<10, 60<<10)); err != nil {
		t.Fatal(err)
	}
	waitHeld(t, e.srv, 60<<10+14)
	ws2, _ := e.wsSession("")
	h.nextOpen(t)
	frame := announce(200<<10, 60<<10)
	if _, err := ws2.UnderlyingConn().Write(frame); err != nil {
		t.Fatal(err)
	}
	if err := waitWSClosed(t, ws2); !websocket.IsCloseError(err, 1013) {
		t.Errorf("close error %v, want 1013", err)
	}
	if ev := h.nextClose(t); ev.reason != ReasonTransportError || !errors.Is(ev.err, ErrServerBusy) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
	// A POST that does not fit is refused; the session ends.
	sid := e.handshake().SID
	h.nextOpen(t)
	if status, body := e.post(sid, "4"+strings.Repeat("x", 50<<10)); status != http.StatusServiceUnavailable {
		t.Errorf("POST over the cap: %d %q, want 503", status, body)
	}
	h.nextClose(t)
	// The first session is still served, small messages need no allowance.
	ws3, _ := e.wsSession("")
	h.nextOpen(t)
	writeWS(t, ws3, websocket.TextMessage, "4hi")
	if got := readWSText(t, ws3); got != "4hi" {
		t.Errorf("echo %q", got)
	}
	ws1.Close()
	h.nextClose(t)
	waitHeld(t, e.srv, 0)
}

// A POST body has a read deadline: a POST that stalls is dropped and its session closed.
func TestPostReadDeadline(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour, PostReadTimeout: 100 * time.Millisecond}, h)
	sid := e.handshake().SID
	h.nextOpen(t)
	nc := e.stalledPost(t, sid, 999_999, 10)
	if ev := h.nextClose(t); ev.reason != ReasonTransportClose || !errors.Is(ev.err, ErrPollAborted) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(testTimeout))
	if _, err := io.Copy(io.Discard, nc); err != nil {
		t.Errorf("the server did not drop the stalled POST: %v", err)
	}
	waitHeld(t, e.srv, 0)
}

// A POST whose session ends (here: no pong) is abandoned at once, rather than holding its
// buffer and goroutine until the client sends the rest.
func TestPostAbandonedWhenSessionEnds(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond, PostReadTimeout: time.Hour}, h)
	sid := e.handshake().SID
	h.nextOpen(t)
	nc := e.stalledPost(t, sid, 999_999, 10)
	if ev := h.nextClose(t); ev.reason != ReasonPingTimeout {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(testTimeout))
	if _, err := io.Copy(io.Discard, nc); err != nil {
		t.Errorf("the POST of the ended session was not dropped: %v", err)
	}
	waitHeld(t, e.srv, 0)
}
