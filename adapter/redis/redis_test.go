package redis_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/adapter/adaptertest"
	"github.com/sockgate/sockgate/adapter/redis"
	"github.com/sockgate/sockgate/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.DiscardHandler)

var keys atomic.Int64

// requestsTimeout is the adapters' RequestsTimeout in these tests. It bounds Init's wait
// for Redis to confirm the subscriptions (which the tests that ask other nodes at once
// rely on) and each request's wait for responses. No passing test waits for it, so it
// is far above a round trip on a loaded machine rather than close to one.
const requestsTimeout = 10 * time.Second

// freshKey returns a key prefix no other test of this process uses.
func freshKey() string { return fmt.Sprintf("t%d-socket.io", keys.Add(1)) }

func newClassic(tb testing.TB, url, key string) *redis.Classic {
	tb.Helper()
	c, err := redis.New(redis.Config{URL: url, Key: key, RequestsTimeout: requestsTimeout, Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return c
}

func TestClassicSuite(t *testing.T) {
	srv := redistest.Start(t)
	adaptertest.Run(t, 3, func(tb testing.TB, n int) []adapter.Factory {
		key := freshKey()
		fs := make([]adapter.Factory, n)
		for i := range fs {
			fs[i] = newClassic(tb, srv.URL(), key).Adapter
		}
		return fs
	})
}

func newSharded(tb testing.TB, cfg redis.ShardedConfig) *redis.Sharded {
	tb.Helper()
	cfg.RequestsTimeout, cfg.Logger = requestsTimeout, quiet
	s, err := redis.NewSharded(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestShardedSuite(t *testing.T) {
	srv := redistest.Start(t)
	for _, mode := range []string{redis.ModeStatic, redis.ModeDynamic, redis.ModeDynamicPrivate} {
		t.Run(mode, func(t *testing.T) {
			adaptertest.Run(t, 3, func(tb testing.TB, n int) []adapter.Factory {
				key := freshKey()
				fs := make([]adapter.Factory, n)
				for i := range fs {
					fs[i] = newSharded(tb, redis.ShardedConfig{URL: srv.URL(), ChannelPrefix: key, SubscriptionMode: mode}).Adapter
				}
				return fs
			})
		})
	}
}

// TestShardedOnRedisCluster runs the cluster suite on a Redis Cluster of three masters,
// each node with its own cluster client: channels live on the master of their slot.
func TestShardedOnRedisCluster(t *testing.T) {
	rc := redistest.StartCluster(t)
	for _, mode := range []string{redis.ModeStatic, redis.ModeDynamic} {
		t.Run(mode, func(t *testing.T) {
			adaptertest.Run(t, 3, func(tb testing.TB, n int) []adapter.Factory {
				key := freshKey()
				fs := make([]adapter.Factory, n)
				for i := range fs {
					cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: rc.Addrs()})
					tb.Cleanup(func() { _ = cc.Close() })
					fs[i] = newSharded(tb, redis.ShardedConfig{Client: cc, ChannelPrefix: key, SubscriptionMode: mode}).Adapter
				}
				return fs
			})
		})
	}
}

func newStreams(tb testing.TB, cfg redis.StreamsConfig) *redis.Streams {
	tb.Helper()
	cfg.RequestsTimeout, cfg.Logger, cfg.BlockTime = requestsTimeout, quiet, 500*time.Millisecond
	s, err := redis.NewStreams(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestStreamsSuite(t *testing.T) {
	srv := redistest.Start(t)
	adaptertest.Run(t, 3, func(tb testing.TB, n int) []adapter.Factory {
		key := freshKey()
		fs := make([]adapter.Factory, n)
		for i := range fs {
			fs[i] = newStreams(tb, redis.StreamsConfig{URL: srv.URL(), StreamName: key, ChannelPrefix: key}).Adapter
		}
		return fs
	})
}

// TestPasswordURL joins a Redis that requires a password, given in the URL; a wrong one
// makes cluster operations fail with ErrUnavailable.
func TestPasswordURL(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", "s3cret")
	good, err := newClassic(t, "redis://:s3cret@"+srv.Addr(), freshKey()).Adapter(&adaptertest.Namespace{NameValue: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if err := good.Init(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = good.Close() })
	if n, err := good.ServerCount(t.Context()); err != nil || n != 1 {
		t.Fatalf("with the password: ServerCount = %d, %v", n, err)
	}
	bad, err := newClassic(t, "redis://:wrong@"+srv.Addr(), freshKey()).Adapter(&adaptertest.Namespace{NameValue: "/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	_ = bad.Init(ctx)
	t.Cleanup(func() { _ = bad.Close() })
	if _, err := bad.ServerCount(t.Context()); !errors.Is(err, redis.ErrUnavailable) {
		t.Fatalf("with a wrong password: ServerCount error %v, want ErrUnavailable", err)
	}
}

func TestBadConfig(t *testing.T) {
	if _, err := redis.New(redis.Config{}); err == nil {
		t.Error("New without URL or client succeeded")
	}
	if _, err := redis.New(redis.Config{URL: "http://x"}); err == nil {
		t.Error("New with an http URL succeeded")
	}
	if _, err := redis.NewSharded(redis.ShardedConfig{URL: "redis://127.0.0.1:1", SubscriptionMode: "sometimes"}); err == nil {
		t.Error("NewSharded with an unknown mode succeeded")
	}
}

// TestStreamsSeveralStreams runs the cluster suite with four streams in a namespace whose
// hash is negative ("/notifications"): the nodes read the stream they write to, even the
// one with a negative index that Node's readers miss.
func TestStreamsSeveralStreams(t *testing.T) {
	srv := redistest.Start(t)
	adaptertest.Run(t, 2, func(tb testing.TB, n int) []adapter.Factory {
		key := freshKey()
		fs := make([]adapter.Factory, n)
		for i := range fs {
			f := newStreams(tb, redis.StreamsConfig{URL: srv.URL(), StreamName: key, StreamCount: 4, ChannelPrefix: key}).Adapter
			fs[i] = func(ns adapter.Namespace) (adapter.Adapter, error) {
				return f(renamed{ns, "/notifications"})
			}
		}
		return fs
	})
}

// renamed is a namespace under another name.
type renamed struct {
	adapter.Namespace
	name string
}

func (r renamed) Name() string { return r.name }

// TestShardedCloseDuringRoomSubscriptions closes a sharded adapter whose worker is still
// making room subscriptions, one by one: Close cancels the one awaiting Redis's
// confirmation instead of waiting for it until RequestsTimeout (the read goroutine that
// would see the confirmation is already stopped). A round may close the adapter just as a
// confirmation has been read, so there are several.
func TestShardedCloseDuringRoomSubscriptions(t *testing.T) {
	srv := redistest.Start(t)
	rc := srv.Client()
	for round := range 10 {
		prefix := freshKey()
		s, err := redis.NewSharded(redis.ShardedConfig{URL: srv.URL(), ChannelPrefix: prefix, RequestsTimeout: requestsTimeout, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Adapter(&adaptertest.Namespace{NameValue: "/"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Init(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Close() })
		sock := adaptertest.NewSocket(a, "s1")
		for i := range 1000 {
			sock.Join(fmt.Sprint("room-", i)) // each queues a subscription
		}
		// Once the first is made, the worker is busy with the others.
		first := prefix + "#/#room-0#"
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if n, err := rc.PubSubShardNumSub(t.Context(), first).Result(); err == nil && n[first] == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the first room subscription was not made within 10s")
			}
		}
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- s.Close() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(requestsTimeout / 3):
			t.Errorf("round %d: Close still waiting after %v", round, time.Since(start).Round(time.Millisecond))
			<-done
			return
		}
	}
}

// TestShardedAdapterCloseLeavesNoRoomSubscription closes one namespace's adapter while
// the Sharded's worker still has its room subscriptions queued, the Sharded staying open
// (as when an empty child namespace is removed): once the worker has gone through its
// queue, none of the closed adapter's room channels may still be subscribed.
func TestShardedAdapterCloseLeavesNoRoomSubscription(t *testing.T) {
	srv := redistest.Start(t)
	rc := srv.Client()
	prefix := freshKey()
	s, err := redis.NewSharded(redis.ShardedConfig{URL: srv.URL(), ChannelPrefix: prefix, RequestsTimeout: 10 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	newAdapter := func(nsp string) adapter.Adapter {
		a, err := s.Adapter(&adaptertest.Namespace{NameValue: nsp})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Init(t.Context()); err != nil {
			t.Fatal(err)
		}
		return a
	}
	const rooms = 300
	a := newAdapter("/closed")
	sock := adaptertest.NewSocket(a, "s1")
	for i := range rooms {
		sock.Join(fmt.Sprint("room-", i)) // each queues a subscription
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// The worker is FIFO: once a subscription queued after Close is made, it has gone
	// through everything the closed adapter queued.
	b := newAdapter("/open")
	t.Cleanup(func() { _ = b.Close() })
	adaptertest.NewSocket(b, "s2").Join("after")
	after := prefix + "#/open#after#"
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if n, err := rc.PubSubShardNumSub(t.Context(), after).Result(); err == nil && n[after] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the subscription queued after Close was not made within 20s")
		}
	}
	channels := make([]string, rooms)
	for i := range channels {
		channels[i] = fmt.Sprintf("%s#/closed#room-%d#", prefix, i)
	}
	n, err := rc.PubSubShardNumSub(t.Context(), channels...).Result()
	if err != nil {
		t.Fatal(err)
	}
	left := 0
	for _, ch := range channels {
		if n[ch] > 0 {
			left++
		}
	}
	if left > 0 {
		t.Fatalf("%d of %d room channels of a closed adapter are still subscribed", left, rooms)
	}
}
