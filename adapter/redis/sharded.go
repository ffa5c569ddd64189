package redis

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockgate/sockgate/adapter"
)

// Subscription modes of the sharded adapter; every node of a cluster uses the same.
const (
	// ModeStatic subscribes to the namespace's channel and the node's own only.
	ModeStatic = "static"
	// ModeDynamic also subscribes to one channel per public room (not a socket id) with a
	// local member; a broadcast to exactly one such room is published there.
	ModeDynamic = "dynamic"
	// ModeDynamicPrivate is ModeDynamic for every room, socket-id rooms included.
	ModeDynamicPrivate = "dynamic-private"
)

// ShardedConfig configures the sharded adapter. Zero values mean the defaults of Node's
// createShardedAdapter.
type ShardedConfig struct {
	// URL is the Redis server ("redis://" or "rediss://"), used when Client is nil.
	URL string
	// Client is an existing client: a *goredis.Client, or a *goredis.ClusterClient for
	// Redis Cluster. The adapter does not close it.
	Client goredis.UniversalClient
	// TLS configures the connection of a "rediss://" URL (for example RootCAs for a
	// private CA); nil means Go's defaults with the URL's host as server name.
	TLS *tls.Config
	// ChannelPrefix prefixes every channel; zero means "socket.io".
	ChannelPrefix string
	// SubscriptionMode is ModeStatic, ModeDynamic or ModeDynamicPrivate; zero means
	// ModeDynamic.
	SubscriptionMode string
	// RequestsTimeout bounds fetch-sockets and server-side-emit requests; zero means 5 s.
	RequestsTimeout time.Duration
	// Logger receives connection losses and malformed messages; nil means slog.Default().
	Logger *slog.Logger
}

// Sharded joins the namespaces of one server to a cluster through Redis sharded pub/sub
// (SSUBSCRIBE, SPUBLISH, PUBSUB SHARDNUMSUB; Redis 7), with the protocol of Node's
// createShardedAdapter (@socket.io/redis-adapter 8.3), so that it runs on Redis Cluster.
// Its Adapter method is the gateway's adapter factory. Safe for concurrent use.
type Sharded struct {
	cfg    ShardedConfig
	client goredis.UniversalClient
	owned  bool
	log    *slog.Logger

	// single is the one subscribed connection on a plain Redis server; on Redis Cluster
	// each channel has its own subscriber (on the node of its slot), in perChannel.
	single *subscriber

	// wg counts the goroutines answering requests and the subscription worker.
	wg sync.WaitGroup

	// mu guards the fields below.
	mu         sync.Mutex
	closed     bool
	channels   map[string]shardedRoute
	perChannel map[string]*subscriber
	queue      []subChange
	wake       chan struct{}

	// life ends when Close begins: it stops the worker and cancels the subscription it
	// is waiting for.
	life context.Context
	end  context.CancelFunc
}

type shardedRoute struct {
	a        *ShardedAdapter
	response bool
}

// subChange is a dynamic subscription to make or undo, in order, off the caller's path.
type subChange struct {
	channel   string
	subscribe bool
}

// NewSharded connects to Redis (lazily, as New) and returns the sharded adapter's
// factory.
func NewSharded(cfg ShardedConfig) (*Sharded, error) {
	switch cfg.SubscriptionMode {
	case "":
		cfg.SubscriptionMode = ModeDynamic
	case ModeStatic, ModeDynamic, ModeDynamicPrivate:
	default:
		return nil, fmt.Errorf("redis adapter: unknown subscription mode %q", cfg.SubscriptionMode)
	}
	client, owned, err := connect(cfg.URL, cfg.TLS, cfg.Client)
	if err != nil {
		return nil, err
	}
	cfg.ChannelPrefix = orDefault(cfg.ChannelPrefix, "socket.io")
	cfg.RequestsTimeout = orDefault(cfg.RequestsTimeout, 5*time.Second)
	s := &Sharded{
		cfg: cfg, client: client, owned: owned, log: logger(cfg.Logger),
		channels:   make(map[string]shardedRoute),
		perChannel: make(map[string]*subscriber),
		wake:       make(chan struct{}, 1),
	}
	s.life, s.end = context.WithCancel(context.Background())
	if _, isCluster := client.(*goredis.ClusterClient); !isCluster {
		s.single = newSubscriber(client.Subscribe(context.Background()), s.log, s.onMessage)
	}
	s.wg.Add(1)
	go s.subscriptions()
	return s, nil
}

// Close stops the subscribers and closes the client if the adapter created it.
func (s *Sharded) Close() error {
	s.mu.Lock()
	s.closed = true
	subs := make([]*subscriber, 0, len(s.perChannel))
	for _, sub := range s.perChannel {
		subs = append(subs, sub)
	}
	s.perChannel = map[string]*subscriber{}
	s.mu.Unlock()
	s.end()
	var errs []error
	if s.single != nil {
		errs = append(errs, s.single.close())
	}
	for _, sub := range subs {
		errs = append(errs, sub.close())
	}
	s.wg.Wait()
	if s.owned {
		errs = append(errs, s.client.Close())
	}
	return errors.Join(errs...)
}

func (s *Sharded) onMessage(m *goredis.Message) {
	s.mu.Lock()
	r, ok := s.channels[m.Channel]
	s.mu.Unlock()
	if !ok {
		return
	}
	msg, err := decodeClusterMessage([]byte(m.Payload))
	if err != nil {
		s.log.Warn("redis adapter: dropping a malformed message", "channel", m.Channel, "err", err)
		return
	}
	if r.response {
		r.a.c.onResponse(msg)
	} else {
		r.a.c.onMessage(msg, "")
	}
}

func (s *Sharded) goAnswer(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// subscribe subscribes to channel and waits for Redis to confirm it, at most until ctx
// ends.
func (s *Sharded) subscribe(ctx context.Context, channel string) error {
	if s.single != nil {
		return s.single.subscribe(ctx, "ssubscribe", channel)
	}
	sub := makeSubscriber(s.log, s.onMessage)
	w := sub.await("ssubscribe", channel)
	s.mu.Lock()
	if s.closed || s.perChannel[channel] != nil {
		s.mu.Unlock()
		return nil
	}
	s.perChannel[channel] = sub
	// The cluster client picks the node from the channel's slot.
	sub.start(s.client.(*goredis.ClusterClient).SSubscribe(context.Background(), channel))
	s.mu.Unlock()
	select {
	case <-w:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Sharded) unsubscribe(channel string) {
	if s.single != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.single.unsubscribe(ctx, "ssubscribe", channel)
		cancel()
		return
	}
	s.mu.Lock()
	sub := s.perChannel[channel]
	delete(s.perChannel, channel)
	s.mu.Unlock()
	if sub != nil {
		_ = sub.close()
	}
}

// healthy reports whether the subscriber of channel is connected.
func (s *Sharded) healthy(channel string) bool {
	if s.single != nil {
		return s.single.healthy.Load()
	}
	s.mu.Lock()
	sub := s.perChannel[channel]
	s.mu.Unlock()
	return sub != nil && sub.healthy.Load()
}

func (s *Sharded) enqueue(c subChange) {
	s.mu.Lock()
	s.queue = append(s.queue, c)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// subscriptions makes the dynamic subscription changes in order.
func (s *Sharded) subscriptions() {
	defer s.wg.Done()
	for {
		select {
		case <-s.life.Done():
			return
		case <-s.wake:
		}
		for {
			s.mu.Lock()
			if len(s.queue) == 0 || s.closed {
				s.mu.Unlock()
				break
			}
			c := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			if c.subscribe {
				ctx, cancel := context.WithTimeout(s.life, s.cfg.RequestsTimeout)
				if err := s.subscribe(ctx, c.channel); err != nil && s.life.Err() == nil {
					s.log.Warn("redis adapter: room subscription not confirmed", "channel", c.channel, "err", err)
				}
				cancel()
			} else {
				s.unsubscribe(c.channel)
			}
		}
	}
}

// Adapter builds the adapter of one namespace; it is an adapter.Factory.
func (s *Sharded) Adapter(ns adapter.Namespace) (adapter.Adapter, error) {
	a := &ShardedAdapter{s: s, channel: s.cfg.ChannelPrefix + "#" + ns.Name() + "#", rooms: make(map[string]int), sids: make(map[string]bool)}
	c, err := newClusterAdapter(ns, a, s.log, s.cfg.RequestsTimeout, s.goAnswer)
	if err != nil {
		return nil, err
	}
	a.c = c
	a.responseChannel = a.channel + c.uid + "#"
	return a, nil
}

// ShardedAdapter is the sharded adapter of one namespace.
type ShardedAdapter struct {
	s                        *Sharded
	c                        *clusterAdapter
	channel, responseChannel string

	// mu guards rooms (local members per room with its own channel) and sids.
	mu    sync.Mutex
	rooms map[string]int
	sids  map[string]bool
}

var _ adapter.Adapter = (*ShardedAdapter)(nil)

// Init subscribes to the namespace's channel and the node's own; when Redis is away the
// subscriptions are made when it comes back.
func (a *ShardedAdapter) Init(ctx context.Context) error {
	s := a.s
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.channels[a.channel] = shardedRoute{a: a}
	s.channels[a.responseChannel] = shardedRoute{a: a, response: true}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestsTimeout)
	defer cancel()
	for _, ch := range []string{a.channel, a.responseChannel} {
		if err := s.subscribe(ctx, ch); err != nil {
			s.log.Warn("redis adapter: subscription not confirmed yet", "channel", ch, "err", err)
		}
	}
	return nil
}

// Close unsubscribes from the namespace's channels. The rooms' channels are left through
// the subscription worker, after the subscriptions it may still have queued for them:
// left at once, a room's channel would be subscribed again by its queued subscription,
// and stay subscribed with nothing to route its messages to for as long as the Sharded
// lives.
func (a *ShardedAdapter) Close() error {
	s := a.s
	a.mu.Lock()
	rooms := make([]string, 0, len(a.rooms))
	for room := range a.rooms {
		rooms = append(rooms, a.dynamicChannel(room))
	}
	a.rooms = map[string]int{}
	a.mu.Unlock()
	own := []string{a.channel, a.responseChannel}
	s.mu.Lock()
	closed := s.closed
	for _, ch := range own {
		delete(s.channels, ch)
	}
	for _, ch := range rooms {
		delete(s.channels, ch)
	}
	s.mu.Unlock()
	if !closed {
		for _, ch := range own {
			s.unsubscribe(ch)
		}
		for _, ch := range rooms {
			s.enqueue(subChange{channel: ch})
		}
	}
	a.c.close()
	return nil
}

func (a *ShardedAdapter) dynamicChannel(room string) string { return a.channel + room + "#" }

// separate reports whether room has a channel of its own in the adapter's mode.
func (a *ShardedAdapter) separate(room string) bool {
	switch a.s.cfg.SubscriptionMode {
	case ModeDynamicPrivate:
		return true
	case ModeDynamic:
		return !a.sids[room]
	}
	return false
}

// roomJoined and roomLeft keep one subscription per room with a local member. a.mu held.
func (a *ShardedAdapter) roomJoinedLocked(room string) {
	if !a.separate(room) {
		return
	}
	a.rooms[room]++
	if a.rooms[room] == 1 {
		ch := a.dynamicChannel(room)
		a.s.mu.Lock()
		a.s.channels[ch] = shardedRoute{a: a}
		a.s.mu.Unlock()
		a.s.enqueue(subChange{channel: ch, subscribe: true})
	}
}

func (a *ShardedAdapter) roomLeftLocked(room string) {
	n, ok := a.rooms[room]
	if !ok {
		return
	}
	if n > 1 {
		a.rooms[room] = n - 1
		return
	}
	delete(a.rooms, room)
	ch := a.dynamicChannel(room)
	a.s.mu.Lock()
	delete(a.s.channels, ch)
	a.s.mu.Unlock()
	a.s.enqueue(subChange{channel: ch})
}

// AddAll implements adapter.Adapter.
func (a *ShardedAdapter) AddAll(sock adapter.Socket, rooms ...string) {
	if a.s.cfg.SubscriptionMode == ModeStatic {
		a.c.local.AddAll(sock, rooms...)
		return
	}
	id := sock.ID()
	a.mu.Lock()
	defer a.mu.Unlock()
	before := a.c.local.SocketRooms(id)
	a.c.local.AddAll(sock, rooms...)
	if before == nil {
		a.sids[id] = true
		a.roomJoinedLocked(id)
	}
	for _, r := range rooms {
		if r != id && !contains(before, r) {
			a.roomJoinedLocked(r)
			before = append(before, r)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Del implements adapter.Adapter.
func (a *ShardedAdapter) Del(sock adapter.Socket, room string) {
	if a.s.cfg.SubscriptionMode == ModeStatic {
		a.c.local.Del(sock, room)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	was := contains(a.c.local.SocketRooms(sock.ID()), room)
	a.c.local.Del(sock, room)
	if was && room != sock.ID() {
		a.roomLeftLocked(room)
	}
}

// DelAll implements adapter.Adapter.
func (a *ShardedAdapter) DelAll(sock adapter.Socket) {
	if a.s.cfg.SubscriptionMode == ModeStatic {
		a.c.local.DelAll(sock)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	rooms := a.c.local.SocketRooms(sock.ID())
	a.c.local.DelAll(sock)
	for _, r := range rooms {
		a.roomLeftLocked(r)
	}
	delete(a.sids, sock.ID())
}

// SocketRooms implements adapter.Adapter.
func (a *ShardedAdapter) SocketRooms(id string) []string { return a.c.local.SocketRooms(id) }

// Sockets implements adapter.Adapter (local sockets only).
func (a *ShardedAdapter) Sockets(opts adapter.BroadcastOptions) []string {
	return a.c.local.Sockets(opts)
}

// Broadcast implements adapter.Adapter.
func (a *ShardedAdapter) Broadcast(p *adapter.Packet, opts adapter.BroadcastOptions) error {
	return a.c.Broadcast(p, opts)
}

// BroadcastWithAck implements adapter.Adapter.
func (a *ShardedAdapter) BroadcastWithAck(p *adapter.Packet, opts adapter.BroadcastOptions, clientCount func(int), ack func(adapter.Ack)) error {
	return a.c.BroadcastWithAck(p, opts, clientCount, ack)
}

// FetchSockets implements adapter.Adapter.
func (a *ShardedAdapter) FetchSockets(ctx context.Context, opts adapter.BroadcastOptions) ([]adapter.SocketInfo, error) {
	return a.c.FetchSockets(ctx, opts)
}

// AddSockets implements adapter.Adapter. Local sockets join through AddAll, which keeps
// the room subscriptions.
func (a *ShardedAdapter) AddSockets(opts adapter.BroadcastOptions, rooms []string) {
	a.c.AddSockets(opts, rooms)
}

// DelSockets implements adapter.Adapter.
func (a *ShardedAdapter) DelSockets(opts adapter.BroadcastOptions, rooms []string) {
	a.c.DelSockets(opts, rooms)
}

// DisconnectSockets implements adapter.Adapter.
func (a *ShardedAdapter) DisconnectSockets(opts adapter.BroadcastOptions, closeConn bool) {
	a.c.DisconnectSockets(opts, closeConn)
}

// ServerSideEmit implements adapter.Adapter.
func (a *ShardedAdapter) ServerSideEmit(args []json.RawMessage) error {
	return a.c.ServerSideEmit(args)
}

// ServerSideEmitWithAck implements adapter.Adapter.
func (a *ShardedAdapter) ServerSideEmitWithAck(ctx context.Context, args []json.RawMessage) ([]json.RawMessage, error) {
	return a.c.ServerSideEmitWithAck(ctx, args)
}

// ServerCount implements adapter.Adapter: PUBSUB SHARDNUMSUB of the namespace's channel.
func (a *ShardedAdapter) ServerCount(ctx context.Context) (int, error) { return a.c.ServerCount(ctx) }

// The transport of the cluster protocol.

func (a *ShardedAdapter) healthy() bool { return a.s.healthy(a.channel) }

func (a *ShardedAdapter) serverCount(ctx context.Context) (int, error) {
	return numsub(ctx, a.s.client, a.channel, true)
}

func (a *ShardedAdapter) encode(m *clusterMessage) ([]byte, error) {
	if mayHoldBinary(m.Type) && len(m.Atts) > 0 {
		return m.encodeMsgpack()
	}
	return m.encodeJSON(), nil
}

func (a *ShardedAdapter) spublish(ctx context.Context, channel string, m *clusterMessage) error {
	if !a.healthy() {
		return ErrUnavailable
	}
	b, err := a.encode(m)
	if err != nil {
		return err
	}
	if err := a.s.client.SPublish(ctx, channel, b).Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

func (a *ShardedAdapter) publish(ctx context.Context, m *clusterMessage, opts *adapter.BroadcastOptions, withAck bool) (string, error) {
	channel := a.channel
	// A broadcast with acks stays on the main channel: every node must answer it.
	if m.Type == msgBroadcast && !withAck && opts != nil && len(opts.Rooms) == 1 {
		room := opts.Rooms[0]
		switch a.s.cfg.SubscriptionMode {
		case ModeDynamicPrivate:
			channel = a.dynamicChannel(room)
		case ModeDynamic:
			if len(room) != 20 { // Node's test for a socket id
				channel = a.dynamicChannel(room)
			}
		}
	}
	return "", a.spublish(ctx, channel, m)
}

func (a *ShardedAdapter) publishResponse(ctx context.Context, requesterUID string, m *clusterMessage) error {
	return a.spublish(ctx, a.channel+requesterUID+"#", m)
}
