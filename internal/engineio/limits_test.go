package engineio

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// handshakeStatus makes a polling handshake and returns its status and JSON refusal.
func (e *env) handshakeStatus(tb testing.TB) (int, ErrorBody) {
	tb.Helper()
	status, body, hdr := e.do(http.MethodGet, e.url("EIO=4&transport=polling"), "", nil)
	var eb ErrorBody
	if status != http.StatusOK {
		if hdr.Get("Content-Type") != "application/json" {
			tb.Errorf("refusal Content-Type %q", hdr.Get("Content-Type"))
		}
		if err := json.Unmarshal([]byte(body), &eb); err != nil || eb.Message == "" {
			tb.Errorf("refusal body %q is not {code, message}", body)
		}
	}
	return status, eb
}

func TestMaxConnections(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour, MaxConnections: 2}, h)
	e.handshake()
	e.handshake()
	if status, eb := e.handshakeStatus(t); status != http.StatusForbidden || eb.Code != CodeForbidden {
		t.Fatalf("third session: %d %+v, want 403", status, eb)
	}
	// The websocket handshake is refused before the upgrade.
	if _, resp, err := e.dial("EIO=4&transport=websocket"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("websocket over the limit: %v", err)
	}
	h.nextOpen(t).Close()
	h.nextClose(t)
	if status, _ := e.handshakeStatus(t); status != http.StatusOK {
		t.Fatalf("after a session ended: %d", status)
	}
}

func TestHandshakeRate(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour, HandshakeRate: 0.001, HandshakeBurst: 3}, h)
	for range 3 {
		e.handshake()
	}
	if status, eb := e.handshakeStatus(t); status != http.StatusTooManyRequests || eb.Message != "Too many handshakes from this address" {
		t.Fatalf("fourth handshake: %d %+v, want 429", status, eb)
	}
	if _, resp, err := e.dial("EIO=4&transport=websocket"); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("websocket over the rate: %v", err)
	}
}

func TestMaxPendingPerAddress(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour, MaxPendingPerAddress: 2}, h)
	e.handshake()
	e.handshake()
	if status, _ := e.handshakeStatus(t); status != http.StatusTooManyRequests {
		t.Fatalf("third pending session: %d, want 429", status)
	}
	c := h.nextOpen(t)
	c.Joined()
	c.Joined() // a second call changes nothing
	e.handshake()
	if status, _ := e.handshakeStatus(t); status != http.StatusTooManyRequests {
		t.Fatalf("third pending session after a join: %d, want 429", status)
	}
	// A session that ends stops counting.
	h.nextOpen(t).Close()
	e.handshake()
}

func TestJoinTimeout(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour, JoinTimeout: 50 * time.Millisecond}, h)
	e.handshake()
	joined := h.nextOpen(t)
	joined.Joined()
	e.handshake()
	idle := h.nextOpen(t)
	ev := h.nextClose(t)
	if ev.c != idle || ev.reason != ReasonJoinTimeout {
		t.Fatalf("closed %v with %q, want the idle session with %q", ev.c == idle, ev.reason, ReasonJoinTimeout)
	}
	joined.mu.Lock()
	closed, timer := joined.closed, joined.joinTimer
	joined.mu.Unlock()
	if closed {
		t.Fatal("the joined session was closed")
	}
	if timer != nil {
		t.Fatal("the joined session still holds its join timer")
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.2:5555":             "127.0.0.2",
		"[::ffff:10.0.0.1]:80":       "10.0.0.1",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"pipe":                       "pipe",
		"[fe80::1%eth0]:1":           "fe80::/64",
	} {
		if got := addrKey(in); got != want {
			t.Errorf("addrKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// The per-address table forgets idle addresses: its size follows the addresses active
// within a bucket's refill time, not every address ever seen.
func TestLimitsTableBounded(t *testing.T) {
	cfg := Config{HandshakeRate: 10, HandshakeBurst: 10, MaxPendingPerAddress: 5}
	l := newLimits(&cfg)
	now := time.Now()
	for i := range 100_000 {
		addr := "10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
		if ref := l.admit(addr, now); ref != nil {
			t.Fatalf("admit %s: %s", addr, ref.msg)
		}
		l.joined(addr)
		l.ended(addr, false)
		now = now.Add(time.Millisecond) // 1,000 new addresses per second
	}
	// A bucket refills in 1s: about 1,000 addresses are remembered, at most twice that
	// between sweeps.
	if n := len(l.addrs); n > 2100 {
		t.Errorf("%d addresses remembered", n)
	}
	if l.conns != 0 {
		t.Errorf("%d sessions counted after all ended", l.conns)
	}
}
