package redis_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/adapter/adaptertest"
	"github.com/sockgate/sockgate/adapter/redis"
	"github.com/sockgate/sockgate/internal/redistest"
)

// TestRedisRestartDuringBroadcasts restarts redis-server in the middle of a stream of
// broadcasts between two nodes: local delivery never stops, the sender gets ErrUnavailable
// while Redis is away instead of blocking, the nodes resubscribe by themselves, and
// delivery across nodes resumes exactly once. Messages published during the outage are
// lost (Redis pub/sub keeps nothing); their count is reported.
func TestRedisRestartDuringBroadcasts(t *testing.T) {
	for _, kind := range []string{"classic", "sharded", "streams"} {
		t.Run(kind, func(t *testing.T) { testRestart(t, kind) })
	}
}

func testRestart(t *testing.T, kind string) {
	srv := redistest.Start(t)
	key := freshKey()
	var fa, fb adapter.Factory
	healthy := func() string { return "" }
	switch kind {
	case "classic":
		ca, cb := newClassic(t, srv.URL(), key), newClassic(t, srv.URL(), key)
		fa, fb = ca.Adapter, cb.Adapter
		healthy = func() string { return fmt.Sprint(ca.Healthy(), cb.Healthy()) }
	case "sharded":
		cfg := redis.ShardedConfig{URL: srv.URL(), ChannelPrefix: key}
		fa, fb = newSharded(t, cfg).Adapter, newSharded(t, cfg).Adapter
	case "streams":
		cfg := redis.StreamsConfig{URL: srv.URL(), StreamName: key, ChannelPrefix: key}
		fa, fb = newStreams(t, cfg).Adapter, newStreams(t, cfg).Adapter
	}
	a, err := fa(&adaptertest.Namespace{NameValue: "/"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := fb(&adaptertest.Namespace{NameValue: "/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []adapter.Adapter{a, b} {
		if err := x.Init(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = x.Close() })
	}
	local, remote := adaptertest.NewSocket(a, "local"), adaptertest.NewSocket(b, "remote")

	sent, unavailable := 0, 0
	send := func() string {
		data := fmt.Sprintf(`["m",%d]`, sent)
		sent++
		err := a.Broadcast(&adapter.Packet{Namespace: "/", Data: json.RawMessage(data)}, adapter.BroadcastOptions{})
		switch {
		case errors.Is(err, redis.ErrUnavailable):
			unavailable++
		case err != nil:
			t.Fatalf("broadcast %d: %v", sent-1, err)
		}
		return data
	}
	has := func(s *adaptertest.Socket, data string) int {
		n := 0
		for _, p := range s.Delivered() {
			if string(p.Data) == data {
				n++
			}
		}
		return n
	}

	for i := 0; i < 200; i++ {
		if i == 100 {
			srv.Restart()
		}
		send()
		time.Sleep(time.Millisecond) // a paced stream, not a wait
	}
	// Keep streaming until a message crosses again (bounded).
	restarted := time.Now()
	for {
		data := send()
		if has(remote, data) == 1 || func() bool { time.Sleep(5 * time.Millisecond); return has(remote, data) == 1 }() {
			break
		}
		if time.Since(restarted) > 15*time.Second {
			t.Fatalf("delivery across nodes did not resume within 15s (%s)", healthy())
		}
	}
	resumedAfter := time.Since(restarted)
	stream := sent
	// After recovery every message arrives, once.
	var tail []string
	for i := 0; i < 100; i++ {
		tail = append(tail, send())
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, data := range tail {
		for has(remote, data) == 0 && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		if n := has(remote, data); n != 1 {
			t.Fatalf("after recovery %s arrived %d times", data, n)
		}
	}
	if got := len(local.Delivered()); got != sent {
		t.Errorf("local socket got %d of %d broadcasts: local delivery must go on without Redis", got, sent)
	}
	received := 0
	for i := 0; i < stream; i++ {
		if n := has(remote, fmt.Sprintf(`["m",%d]`, i)); n > 1 {
			t.Fatalf("message %d arrived %d times", i, n)
		} else {
			received += n
		}
	}
	if unavailable == 0 && received == stream {
		t.Log("no message was published while Redis was away")
	}
	t.Logf("%s: restart during %d broadcasts: %d lost across nodes (%d refused at once with ErrUnavailable), delivery resumed %v after the restart",
		kind, stream, stream-received, unavailable, resumedAfter.Round(time.Millisecond))
}

// TestRedisAwayFailsFast stops redis-server: cluster operations fail at once with
// ErrUnavailable, local delivery goes on, and everything works again when it is back.
func TestRedisAwayFailsFast(t *testing.T) {
	for _, kind := range []string{"classic", "sharded", "streams"} {
		t.Run(kind, func(t *testing.T) {
			srv := redistest.Start(t)
			key := freshKey()
			var f adapter.Factory
			switch kind {
			case "classic":
				f = newClassic(t, srv.URL(), key).Adapter
			case "sharded":
				f = newSharded(t, redis.ShardedConfig{URL: srv.URL(), ChannelPrefix: key}).Adapter
			case "streams":
				f = newStreams(t, redis.StreamsConfig{URL: srv.URL(), StreamName: key, ChannelPrefix: key}).Adapter
			}
			a, err := f(&adaptertest.Namespace{NameValue: "/"})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Init(t.Context()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = a.Close() })
			s := adaptertest.NewSocket(a, "local")
			srv.Stop()
			deadline := time.Now().Add(10 * time.Second)
			for {
				if _, err := a.ServerCount(t.Context()); errors.Is(err, redis.ErrUnavailable) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("ServerCount still answers 10s after Redis stopped")
				}
				time.Sleep(5 * time.Millisecond) // the subscriber notices the closed connection
			}
			start := time.Now()
			if _, err := a.FetchSockets(t.Context(), adapter.BroadcastOptions{}); !errors.Is(err, redis.ErrUnavailable) {
				t.Errorf("FetchSockets: %v, want ErrUnavailable", err)
			}
			if _, err := a.ServerSideEmitWithAck(t.Context(), []json.RawMessage{json.RawMessage(`"x"`)}); !errors.Is(err, redis.ErrUnavailable) {
				t.Errorf("ServerSideEmitWithAck: %v, want ErrUnavailable", err)
			}
			if err := a.ServerSideEmit([]json.RawMessage{json.RawMessage(`"x"`)}); !errors.Is(err, redis.ErrUnavailable) {
				t.Errorf("ServerSideEmit: %v, want ErrUnavailable", err)
			}
			err = a.Broadcast(&adapter.Packet{Namespace: "/", Data: json.RawMessage(`["local"]`)}, adapter.BroadcastOptions{})
			if !errors.Is(err, redis.ErrUnavailable) || len(s.Delivered()) != 1 {
				t.Errorf("Broadcast: %v with %d local deliveries, want ErrUnavailable and 1", err, len(s.Delivered()))
			}
			a.AddSockets(adapter.BroadcastOptions{}, []string{"r"}) // applied locally, logged
			if rooms := a.SocketRooms("local"); !slices.Contains(rooms, "r") {
				t.Errorf("a join without Redis was not applied locally: %v", rooms)
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("failing took %v: not fast", d)
			}
			srv.Restart()
			deadline = time.Now().Add(15 * time.Second)
			for {
				if n, err := a.ServerCount(t.Context()); err == nil && n == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("not back 15s after Redis restarted")
				}
				time.Sleep(5 * time.Millisecond) // the subscriber reconnects with backoff
			}
		})
	}
}
