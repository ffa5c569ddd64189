package main

import (
	"context"
	"fmt"
	"log/slog"

	"go.uber.org/fx"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/adapter/redis"
)

// clusterOption joins the server to a cluster through Redis when REDIS_URL is set: the
// classic adapter by default, which Node socket.io servers with @socket.io/redis-adapter
// share, or the sharded or streams one (REDIS_ADAPTER=sharded|streams; with streams,
// connection state recovery works across nodes). It supplies nothing otherwise, and
// the gateway keeps its in-memory adapter.
func clusterOption(s Settings, log *slog.Logger) fx.Option {
	if s.RedisURL == "" {
		return fx.Options()
	}
	return fx.Provide(func(lc fx.Lifecycle) (adapter.Factory, error) {
		var (
			f     adapter.Factory
			close func() error
		)
		kind := s.RedisAdapter
		switch kind {
		case "sharded":
			c, err := redis.NewSharded(redis.ShardedConfig{URL: s.RedisURL, Logger: log})
			if err != nil {
				return nil, fmt.Errorf("chat: REDIS_URL: %w", err)
			}
			f, close = c.Adapter, c.Close
		case "streams":
			c, err := redis.NewStreams(redis.StreamsConfig{URL: s.RedisURL, Logger: log})
			if err != nil {
				return nil, fmt.Errorf("chat: REDIS_URL: %w", err)
			}
			f, close = c.Adapter, c.Close
		default:
			kind = "classic"
			c, err := redis.New(redis.Config{URL: s.RedisURL, Logger: log})
			if err != nil {
				return nil, fmt.Errorf("chat: REDIS_URL: %w", err)
			}
			f, close = c.Adapter, c.Close
		}
		// Registered before the server's hooks, so stopped after the server.
		lc.Append(fx.Hook{OnStop: func(context.Context) error { return close() }})
		log.Info("chat: joining the cluster through Redis", "adapter", kind)
		return f, nil
	})
}
