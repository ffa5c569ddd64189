package redis

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// subscriber owns one subscribed Redis connection and the goroutine reading it. go-redis
// reconnects the connection and subscribes again to everything on the next read after an
// error; the subscriber notices the loss (healthy turns false, so that cluster operations
// fail fast) and the return (the subscription confirmations turn it true again).
type subscriber struct {
	ps        *goredis.PubSub
	log       *slog.Logger
	onMessage func(*goredis.Message)
	onUp      func() // called (on the read goroutine) when the connection is back; may be nil

	healthy atomic.Bool
	cancel  context.CancelFunc
	done    chan struct{}

	// mu guards waiters: subscription confirmations awaited by Init, keyed by kind and
	// channel ("subscribe socket.io-request#/#").
	mu      sync.Mutex
	waiters map[string][]chan struct{}
}

// pingEvery is how long the read waits before it checks the connection with a PING.
const pingEvery = 5 * time.Second

func newSubscriber(ps *goredis.PubSub, log *slog.Logger, onMessage func(*goredis.Message)) *subscriber {
	s := makeSubscriber(log, onMessage)
	s.start(ps)
	return s
}

// makeSubscriber returns a subscriber not yet reading; waiters may be registered before
// start, for a PubSub whose subscriptions are sent when it is created.
func makeSubscriber(log *slog.Logger, onMessage func(*goredis.Message)) *subscriber {
	return &subscriber{
		log:       log,
		onMessage: onMessage,
		done:      make(chan struct{}),
		waiters:   make(map[string][]chan struct{}),
	}
}

func (s *subscriber) start(ps *goredis.PubSub) {
	ctx, cancel := context.WithCancel(context.Background())
	s.ps, s.cancel = ps, cancel
	go s.run(ctx)
}

// await registers a waiter for the confirmation of one subscription.
func (s *subscriber) await(kind, channel string) chan struct{} {
	w := make(chan struct{})
	s.mu.Lock()
	s.waiters[kind+" "+channel] = append(s.waiters[kind+" "+channel], w)
	s.mu.Unlock()
	return w
}

func (s *subscriber) run(ctx context.Context) {
	defer close(s.done)
	backoff := 50 * time.Millisecond
	pinged := false
	for {
		msg, err := s.ps.ReceiveTimeout(ctx, pingEvery)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !pinged {
				// Quiet connection: a PING tells a live one from a dead one.
				pinged = true
				if perr := s.ps.Ping(ctx); perr == nil {
					continue
				}
			}
			if s.healthy.Swap(false) {
				s.log.Warn("redis adapter: subscriber connection lost; cluster operations fail until it is back", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, time.Second)
			continue
		}
		pinged = false
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *goredis.Message:
			s.onMessage(m)
		case *goredis.Subscription:
			if !s.healthy.Swap(true) {
				s.log.Info("redis adapter: subscriber connected")
				if s.onUp != nil {
					s.onUp()
				}
			}
			s.confirm(m.Kind + " " + m.Channel)
		case *goredis.Pong:
			s.healthy.Store(true)
		}
	}
}

func (s *subscriber) confirm(key string) {
	s.mu.Lock()
	ws := s.waiters[key]
	delete(s.waiters, key)
	s.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}

// subscribe subscribes to channels with kind "subscribe", "psubscribe" or "ssubscribe"
// and waits, at most until ctx ends, for Redis to confirm them. Channels are remembered
// even when Redis is away: they are subscribed to when it comes back.
func (s *subscriber) subscribe(ctx context.Context, kind string, channels ...string) error {
	ws := make([]chan struct{}, len(channels))
	s.mu.Lock()
	for i, c := range channels {
		ws[i] = make(chan struct{})
		key := kind + " " + c
		s.waiters[key] = append(s.waiters[key], ws[i])
	}
	s.mu.Unlock()
	var err error
	switch kind {
	case "psubscribe":
		err = s.ps.PSubscribe(ctx, channels...)
	case "ssubscribe":
		err = s.ps.SSubscribe(ctx, channels...)
	default:
		err = s.ps.Subscribe(ctx, channels...)
	}
	if err != nil {
		s.dropWaiters(kind, channels, ws)
		return err
	}
	for _, w := range ws {
		select {
		case <-w:
		case <-ctx.Done():
			s.dropWaiters(kind, channels, ws)
			return ctx.Err()
		}
	}
	return nil
}

func (s *subscriber) dropWaiters(kind string, channels []string, ws []chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range channels {
		key := kind + " " + c
		list := s.waiters[key][:0]
		for _, w := range s.waiters[key] {
			keep := true
			for _, mine := range ws {
				if w == mine {
					keep = false
				}
			}
			if keep {
				list = append(list, w)
			}
		}
		if len(list) == 0 {
			delete(s.waiters, key)
		} else {
			s.waiters[key] = list
		}
	}
}

// unsubscribe undoes subscribe; errors are ignored (the channels are forgotten either way).
func (s *subscriber) unsubscribe(ctx context.Context, kind string, channels ...string) {
	switch kind {
	case "psubscribe":
		_ = s.ps.PUnsubscribe(ctx, channels...)
	case "ssubscribe":
		_ = s.ps.SUnsubscribe(ctx, channels...)
	default:
		_ = s.ps.Unsubscribe(ctx, channels...)
	}
}

// close stops the read goroutine and closes the connection.
func (s *subscriber) close() error {
	s.cancel()
	err := s.ps.Close()
	<-s.done
	return err
}
