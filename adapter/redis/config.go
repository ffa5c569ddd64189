package redis

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// ErrUnavailable is returned, wrapped, by cluster operations while the adapter has no
// working connection to Redis. Local delivery goes on meanwhile.
var ErrUnavailable = errors.New("redis adapter: Redis is unavailable")

// ErrTimeout is wrapped by the errors of requests that did not get every expected
// response in time. Their messages are those of Node's adapters, such as
// "timeout reached while waiting for fetchSockets response".
var ErrTimeout = errors.New("redis adapter: request timed out")

// ErrClosed is returned by operations on a closed adapter.
var ErrClosed = errors.New("redis adapter: closed")

type timeoutError struct{ msg string }

func (e *timeoutError) Error() string { return e.msg }
func (e *timeoutError) Unwrap() error { return ErrTimeout }
func (e *timeoutError) Timeout() bool { return true } // for metrics, as net.Error

// connect returns the client to use: the given one, or one built from url (redis:// or
// rediss:// for TLS, configured by tlsConfig when set, with an optional password and
// database). owned says whether the
// adapter must close it.
func connect(url string, tlsConfig *tls.Config, c goredis.UniversalClient) (client goredis.UniversalClient, owned bool, err error) {
	if c != nil {
		return c, false, nil
	}
	if url == "" {
		return nil, false, errors.New("redis adapter: neither a URL nor a client was given")
	}
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, false, fmt.Errorf("redis adapter: %w", err)
	}
	if opt.TLSConfig != nil && tlsConfig != nil {
		cfg := tlsConfig.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = opt.TLSConfig.ServerName
		}
		opt.TLSConfig = cfg
	}
	// Fail fast when Redis is away rather than retrying behind the caller's back.
	opt.MaxRetries = 1
	if opt.DialTimeout == 0 {
		opt.DialTimeout = 2 * time.Second
	}
	return goredis.NewClient(opt), true, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

// uid6 returns a short random id like Node's uid2(6) (only equality matters on the wire).
func uid6() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hexID returns 8 random bytes in hex, the uid and request-id form of the cluster
// protocol.
func hexID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// numsub returns the subscriber count of channel, summed over every master on Redis
// Cluster (each node counts only its own subscribers). sharded selects SHARDNUMSUB.
func numsub(ctx context.Context, c goredis.UniversalClient, channel string, sharded bool) (int, error) {
	one := func(ctx context.Context, c goredis.Cmdable) (int, error) {
		var m map[string]int64
		var err error
		if sharded {
			m, err = c.PubSubShardNumSub(ctx, channel).Result()
		} else {
			m, err = c.PubSubNumSub(ctx, channel).Result()
		}
		return int(m[channel]), err
	}
	cc, ok := c.(*goredis.ClusterClient)
	if !ok {
		return one(ctx, c)
	}
	total := 0
	var mu = make(chan struct{}, 1)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, m *goredis.Client) error {
		n, err := one(ctx, m)
		mu <- struct{}{}
		total += n
		<-mu
		return err
	})
	return total, err
}
