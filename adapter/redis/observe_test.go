package redis_test

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/adapter/adaptertest"
	"github.com/sockgate/sockgate/adapter/redis"
	"github.com/sockgate/sockgate/internal/redistest"
)

// TestRequestsObserved: every request a node sends to the others is reported to its
// namespace once, with its kind and how it ended.
func TestRequestsObserved(t *testing.T) {
	srv := redistest.Start(t)
	for _, c := range []struct {
		name    string
		factory func(tb testing.TB) adapter.Factory // a new node of one cluster per call
	}{
		{"classic", func() func(tb testing.TB) adapter.Factory {
			key := freshKey()
			return func(tb testing.TB) adapter.Factory { return newClassic(tb, srv.URL(), key).Adapter }
		}()},
		{"sharded", func() func(tb testing.TB) adapter.Factory {
			key := freshKey()
			return func(tb testing.TB) adapter.Factory {
				return newSharded(tb, redis.ShardedConfig{URL: srv.URL(), ChannelPrefix: key}).Adapter
			}
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			var nodes []adapter.Adapter
			var (
				mu    sync.Mutex
				kinds []string
			)
			for i := range 2 {
				ns := &adaptertest.Namespace{NameValue: "/"}
				if i == 0 {
					ns.OnRequest = func(kind string, _ time.Duration, err error) {
						if err != nil {
							t.Errorf("%s: %v", kind, err)
						}
						mu.Lock()
						kinds = append(kinds, kind)
						mu.Unlock()
					}
				}
				a, err := c.factory(t)(ns)
				if err != nil {
					t.Fatal(err)
				}
				if err := a.Init(t.Context()); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = a.Close() })
				nodes = append(nodes, a)
			}
			a := nodes[0]
			adaptertest.NewSocket(nodes[1], "remote")
			all := adapter.BroadcastOptions{}
			if _, err := a.FetchSockets(t.Context(), all); err != nil {
				t.Fatal(err)
			}
			if _, err := a.ServerSideEmitWithAck(t.Context(), []json.RawMessage{json.RawMessage(`"ping"`)}); err != nil {
				t.Fatal(err)
			}
			a.AddSockets(all, []string{"room"})
			a.DelSockets(all, []string{"room"})
			a.DisconnectSockets(all, false)
			mu.Lock()
			defer mu.Unlock()
			want := []string{redis.KindFetchSockets, redis.KindServerSideEmit, redis.KindRemoteJoin,
				redis.KindRemoteLeave, redis.KindRemoteDisconnect}
			if !slices.Equal(kinds, want) {
				t.Errorf("requests %q, want %q", kinds, want)
			}
		})
	}
}
