package gateway

import (
	"strconv"
	"testing"
	"time"

	"github.com/sockgate/sockgate/decorators"
)

func rule(t *testing.T, s string) *rateRule {
	t.Helper()
	r, err := parseRateRule("test", s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLimiterTokenBucket(t *testing.T) {
	r := rule(t, "10/s,burst=3") // one token every 100ms, at most 3 at once
	var l limiter
	now := int64(time.Hour)
	for i := 0; i < 3; i++ {
		if !l.allow("e", r, now) {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	if l.allow("e", r, now) {
		t.Fatal("a fourth event at once allowed")
	}
	if !l.allow("other", r, now) {
		t.Fatal("another event shares the bucket")
	}
	now += int64(99 * time.Millisecond)
	if l.allow("e", r, now) {
		t.Fatal("allowed before a token came back")
	}
	now += int64(time.Millisecond)
	if !l.allow("e", r, now) || l.allow("e", r, now) {
		t.Fatal("want exactly one event after 100ms")
	}
	// A long pause refills the bucket to its burst, not beyond.
	now += int64(time.Hour)
	for i := 0; i < 3; i++ {
		if !l.allow("e", r, now) {
			t.Fatalf("after a pause, event %d refused", i)
		}
	}
	if l.allow("e", r, now) {
		t.Fatal("the bucket held more than its burst")
	}

	// Sustained: 100 per minute with a burst of 100 lets 100 through at once, then one
	// every 600ms.
	r = rule(t, "100/m,burst=100")
	l = limiter{}
	allowed := 0
	for i := 0; i < 1000; i++ {
		if l.allow("m", r, now) {
			allowed++
		}
	}
	if allowed != 100 {
		t.Fatalf("%d allowed at once, want 100", allowed)
	}
	allowed = 0
	for ms := 10; ms <= 60_000; ms += 10 {
		if l.allow("m", r, now+int64(ms)*int64(time.Millisecond)) {
			allowed++
		}
	}
	if allowed != 100 {
		t.Fatalf("%d allowed in the next minute, want 100", allowed)
	}
}

// Extreme rates neither overflow nor refuse what they allow.
func TestLimiterExtremeRates(t *testing.T) {
	now := int64(time.Hour)
	var l limiter
	for _, r := range []string{"1/h,burst=1000000000", "1/h,burst=3000000"} { // the second overflowed int64
		huge := rule(t, r)
		for i := 0; i < 1000; i++ {
			if !l.allow(r, huge, now) {
				t.Fatalf("%s: event %d of the burst refused", r, i)
			}
		}
	}
	fast := rule(t, "1000000000/ms")
	for i := 0; i < 1000; i++ {
		if !l.allow("f", fast, now+int64(i)) {
			t.Fatalf("event %d at 10^12 per second refused", i)
		}
	}
	slow := rule(t, "1/87600h") // one per ten years
	if !l.allow("s", slow, now) || l.allow("s", slow, now+int64(time.Hour)) {
		t.Fatal("one per ten years: want the first event only")
	}
}

func TestLimiterBucketsAreBounded(t *testing.T) {
	r := rule(t, "1/h")
	var l limiter
	for i := 0; i < 1000; i++ {
		l.allow("event-"+strconv.Itoa(i), r, 0)
	}
	if len(l.buckets) > maxBuckets {
		t.Fatalf("%d buckets, want at most %d", len(l.buckets), maxBuckets)
	}
}

func TestLimiterFloodDetector(t *testing.T) {
	var l limiter
	now := int64(time.Hour)
	for i := 1; i <= 5; i++ {
		if l.refused(5, 10*time.Second, now) {
			t.Fatalf("disconnect at refusal %d of 5 allowed", i)
		}
	}
	if !l.refused(5, 10*time.Second, now) {
		t.Fatal("no disconnect at the sixth refusal")
	}
	// The count drains: one refusal every 2s (5 per 10s) is tolerated for good.
	l = limiter{}
	for i := 0; i < 100; i++ {
		if l.refused(5, 10*time.Second, now+int64(i)*int64(2*time.Second)) {
			t.Fatalf("disconnect at refusal %d at the tolerated pace", i)
		}
	}
	if l.refused(-1, time.Second, now) {
		t.Fatal("a negative maximum disconnected")
	}
}

type limitedGateway struct {
	decorators.Gateway `namespace:"/limited" rate:"2/h"`

	_ decorators.Subscribe `ws:"ping" rate:"3/h"`
	_ decorators.Subscribe `ws:"free" rate:"1000000/s"`
	_ decorators.Subscribe `ws:"gw"`
}

func (*limitedGateway) OnPing() string { return "pong" }
func (*limitedGateway) OnFree() string { return "free" }
func (*limitedGateway) OnGw() string   { return "gw" }

const exhausted = `{"status":"error","code":"resource_exhausted","message":"rate limit exceeded: at most `

func TestRateTags(t *testing.T) {
	srv, hs := newTestServer(t, Config{})
	if err := srv.Register(&limitedGateway{}); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, hs)
	c.connect("/limited")
	for i := 0; i < 3; i++ {
		c.send(`42/limited,` + strconv.Itoa(i) + `["ping"]`)
		c.expect(`43/limited,` + strconv.Itoa(i) + `["pong"]`)
	}
	// Over the limit: the error in the ack and as exception; the socket stays.
	c.send(`42/limited,9["ping"]`)
	c.expect(`43/limited,9[` + exhausted + `3/h per socket"}]`)
	c.expect(`42/limited,["exception",` + exhausted + `3/h per socket","event":"ping"}]`)
	c.send(`42/limited,10["free"]`)
	c.expect(`43/limited,10["free"]`)
	// Without an ack: only the exception.
	c.send(`42/limited,["ping"]`)
	c.expect(`42/limited,["exception",` + exhausted + `3/h per socket","event":"ping"}]`)
	// The gateway's rate for events without their own.
	c.send(`42/limited,11["gw"]`)
	c.expect(`43/limited,11["gw"]`)
	c.send(`42/limited,12["gw"]`)
	c.expect(`43/limited,12["gw"]`)
	c.send(`42/limited,13["gw"]`)
	c.expect(`43/limited,13[` + exhausted + `2/h per socket"}]`)
	c.expectPrefix(`42/limited,["exception"`)
	// The buckets are per socket.
	d := dialRaw(t, hs)
	d.connect("/limited")
	d.send(`42/limited,1["ping"]`)
	d.expect(`43/limited,1["pong"]`)
}

func TestRateDefaults(t *testing.T) {
	srv, hs := newTestServer(t, Config{EventRate: "2/h"})
	srv.OnConnection(func(s *Socket) {
		s.On("echo", func(e *Event) { _ = e.Ack("ok") })
	})
	ns := of(t, srv, "/ns")
	if err := ns.SetEventRate("1/h"); err != nil {
		t.Fatal(err)
	}
	if err := ns.SetEventRate("1/x"); err == nil {
		t.Fatal("SetEventRate accepted a bad rate")
	}
	ns.OnConnection(func(s *Socket) {
		s.On("echo", func(e *Event) { _ = e.Ack("ok") })
	})
	c := dialRaw(t, hs)
	c.connect("/")
	c.send(`420["echo"]`)
	c.expect(`430["ok"]`)
	c.send(`421["echo"]`)
	c.expect(`431["ok"]`)
	c.send(`422["echo"]`)
	c.expect(`432[` + exhausted + `2/h per socket"}]`)
	c.expectPrefix(`42["exception"`)
	// Other names have their own buckets, up to a bound past which they share one.
	for i := 0; i < maxBuckets+5; i++ {
		c.send(`42["n` + strconv.Itoa(i) + `"]`)
	}
	// "echo" and n0 to n13 have buckets of their own; the rest share the last one, which
	// takes two events. The five refusals that follow are one streak: one exception.
	c.expect(`42["exception",` + exhausted + `2/h per socket","event":"n` + strconv.Itoa(maxBuckets) + `"}]`)
	c.send(`42["n0"]`) // allowed: the streak ends
	c.send(`42["n0"]`)
	c.expect(`42["exception",` + exhausted + `2/h per socket","event":"n0"}]`)

	c.connect("/ns")
	c.send(`42/ns,0["echo"]`)
	c.expect(`43/ns,0["ok"]`)
	c.send(`42/ns,1["echo"]`)
	c.expect(`43/ns,1[` + exhausted + `1/h per socket"}]`)

	if _, err := NewServer(Config{EventRate: "10"}); err == nil {
		t.Fatal("NewServer accepted a bad EventRate")
	}
}

func TestRateFloodDisconnects(t *testing.T) {
	srv, hs := newTestServer(t, Config{EventRate: "1/h", MaxRateRefusals: 3})
	reasons := make(chan DisconnectReason, 1)
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
		s.On("e", func(e *Event) { _ = e.Ack() })
	})
	c := dialRaw(t, hs)
	c.connect("/")
	c.send(`420["e"]`)
	c.expect(`430[]`)
	for i := 1; i <= 3; i++ {
		c.send(`42` + strconv.Itoa(i) + `["e"]`)
		c.expect(`43` + strconv.Itoa(i) + `[` + exhausted + `1/h per socket"}]`)
		if i == 1 { // one exception for the streak
			c.expectPrefix(`42["exception",` + exhausted)
		}
	}
	c.send(`424["e"]`)
	c.expect(`41`)
	if r := <-reasons; r != ReasonRateLimited {
		t.Fatalf("reason %q, want %q", r, ReasonRateLimited)
	}
	// The connection stays; the socket may connect again.
	c.connect("/")
}

// Observers learn whether a refused event has a handler, so that names of the client's
// choosing do not become metric labels.
func TestRateLimitObserverHandled(t *testing.T) {
	obs := &recordingObserver{}
	srv, hs := newTestServer(t, Config{EventRate: "1/h"}, WithObserver(obs))
	srv.OnConnection(func(s *Socket) {
		s.On("known", func(e *Event) { _ = e.Ack() })
	})
	c := dialRaw(t, hs)
	c.connect("/")
	c.send(`420["known"]`)
	c.expect(`430[]`)
	c.send(`42["known"]`)
	c.expectPrefix(`42["exception"`)
	c.send(`42["anything-at-all"]`)
	c.send(`42["anything-at-all"]`)
	c.expectPrefix(`42["exception"`)
	for _, want := range []string{"limited / known true", "limited / anything-at-all false"} {
		if !obs.has(want) {
			t.Errorf("calls %q, want %q", obs.calls, want)
		}
	}
}
