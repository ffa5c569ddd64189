package client

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := b.duration(); got != w*time.Millisecond {
			t.Fatalf("attempt %d: %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	if b.attempts != len(want) {
		t.Fatalf("attempts %d", b.attempts)
	}
	b.reset()
	if got := b.duration(); got != 100*time.Millisecond {
		t.Fatalf("after reset: %v", got)
	}

	// With jitter, each delay stays within the factor of the base, and varies.
	j := backoff{min: time.Second, max: time.Hour, jitter: 0.5}
	seen := map[time.Duration]bool{}
	for range 50 {
		j.reset()
		d := j.duration()
		if d < 500*time.Millisecond || d > 1500*time.Millisecond {
			t.Fatalf("jittered delay %v out of [0.5s, 1.5s]", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Fatal("jitter never changed the delay")
	}

	// Far attempts do not overflow.
	far := backoff{min: time.Second, max: 5 * time.Second, attempts: 5000}
	if got := far.duration(); got != 5*time.Second {
		t.Fatalf("attempt 5000: %v", got)
	}
}

func TestOptions(t *testing.T) {
	d := Options{}.withDefaults()
	if d.Path != "/socket.io/" || len(d.Transports) != 2 || d.ConnectTimeout != 20*time.Second ||
		d.ReconnectionDelay != time.Second || d.ReconnectionDelayMax != 5*time.Second || d.RandomizationFactor != 0.5 {
		t.Fatalf("defaults %+v", d)
	}
	if got := (Options{Path: "/io", RandomizationFactor: -1}).withDefaults(); got.Path != "/io/" || got.RandomizationFactor != 0 {
		t.Fatalf("path %q, randomization %v", got.Path, got.RandomizationFactor)
	}
	bad := []Options{
		{Transports: []string{}},
		{Transports: []string{"webtransport"}},
		{Path: "socket.io"},
		{ReconnectionAttempts: -1},
		{RandomizationFactor: 2},
	}
	for _, o := range bad {
		if _, err := New("http://localhost", o); err == nil || !strings.HasPrefix(err.Error(), "client: invalid Options") {
			t.Errorf("New with %+v: %v", o, err)
		}
	}
	for _, u := range []string{"ftp://localhost", "http://", "::"} {
		if _, err := New(u, Options{}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	m, err := New("wss://example.com/ignored?a=1&EIO=3", Options{Query: map[string][]string{"b": {"2"}}, Path: "/rt"})
	if err != nil {
		t.Fatal(err)
	}
	if m.httpBase != "https://example.com/rt/?a=1&b=2&EIO=4" || m.wsBase != "wss://example.com/rt/?a=1&b=2&EIO=4" {
		t.Fatalf("endpoints %q %q", m.httpBase, m.wsBase)
	}
	if _, err := m.Socket("/a,b"); err == nil {
		t.Fatal("a namespace with a comma was accepted")
	}
	if _, err := m.Socket("/", SocketOptions{Auth: "not an object"}); err == nil {
		t.Fatal("a non-object auth was accepted")
	}
	_ = m.Close()
	if _, err := m.Socket("/"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Socket after Close: %v", err)
	}
}

func TestRegistry(t *testing.T) {
	var r registry[func(string)]
	var got []string
	rec := func(tag string) func(string) { return func(s string) { got = append(got, tag+":"+s) } }
	offA := r.add("e", rec("a"), false)
	r.add("e", rec("once"), true)
	r.addAny(rec("any"))
	call := func(name string) { r.call(name, true, func(f func(string)) { f(name) }) }

	call("e")
	call("e")
	offA()
	call("e")
	call("other")
	want := []string{"any:e", "a:e", "once:e", "any:e", "a:e", "any:e", "any:other"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("calls %v, want %v", got, want)
	}
	r.add("e", rec("b"), false)
	r.removeAll("e")
	got = nil
	call("e")
	if strings.Join(got, " ") != "any:e" {
		t.Fatalf("after removeAll: %v", got)
	}

	// A handler may add handlers while the list runs; they run from the next call.
	var r2 registry[func()]
	n := 0
	r2.add("x", func() { r2.add("x", func() { n++ }, false) }, false)
	r2.call("x", false, func(f func()) { f() })
	if n != 0 {
		t.Fatal("a handler added during a call ran in that call")
	}
	r2.call("x", false, func(f func()) { f() })
	if n != 1 {
		t.Fatalf("n = %d", n)
	}
}

func TestAckWithoutAckID(t *testing.T) {
	if err := (&Event{}).Ack(1); !errors.Is(err, ErrNoAck) {
		t.Fatalf("Ack without an ack id: %v", err)
	}
}
