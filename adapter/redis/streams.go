package redis

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockgate/sockgate/adapter"
)

// StreamsConfig configures the streams adapter. Zero values mean the defaults of Node's
// @socket.io/redis-streams-adapter 0.3.
type StreamsConfig struct {
	// URL is the Redis server ("redis://" or "rediss://"), used when Client is nil.
	URL string
	// Client is an existing client; the adapter does not close it. It must be a
	// *goredis.Client (the stream readers use their own connections, with its options).
	Client goredis.UniversalClient
	// TLS configures the connection of a "rediss://" URL (for example RootCAs for a
	// private CA); nil means Go's defaults with the URL's host as server name.
	TLS *tls.Config
	// StreamName is the stream, or the prefix of the streams; zero means "socket.io".
	StreamName string
	// StreamCount spreads namespaces over "<StreamName>-<i>" streams by a hash of their
	// name, as Node does (with its sign: Node writes some namespaces to a stream such as
	// "socket.io--3", which this adapter reads too); zero or 1 means one stream.
	StreamCount int
	// ChannelPrefix prefixes the pub/sub channels; zero means "socket.io".
	ChannelPrefix string
	// UseShardedPubSub uses SSUBSCRIBE/SPUBLISH for the short-lived messages.
	UseShardedPubSub bool
	// MaxLen trims the stream to about this many entries; zero means 10,000. With
	// connection state recovery, Recovery.MaxPackets (when set) trims it exactly instead.
	MaxLen int64
	// ReadCount is the entries read at once; zero means 100.
	ReadCount int64
	// BlockTime is how long one read waits for entries; zero means 5 s.
	BlockTime time.Duration
	// SessionKeyPrefix prefixes the keys of recovery sessions; zero means "sio:session:".
	SessionKeyPrefix string
	// OnlyPlaintext writes entries as JSON even when they carry binary values.
	OnlyPlaintext bool
	// RequestsTimeout bounds fetch-sockets and server-side-emit requests; zero means 5 s.
	RequestsTimeout time.Duration
	// Logger receives connection losses and malformed messages; nil means slog.Default().
	Logger *slog.Logger
}

// Streams joins the namespaces of one server to a cluster through Redis Streams, with the
// protocol of Node's @socket.io/redis-streams-adapter 0.3: broadcasts, joins, leaves and
// disconnects are stream entries (XADD), read by every node (XREAD); requests and
// responses use pub/sub. Because the stream keeps packets, connection state recovery
// works across nodes: the namespace's adapters implement adapter.SessionStore, with the
// stream entry id as the offset. Its Adapter method is the gateway's adapter factory.
// Safe for concurrent use.
type Streams struct {
	cfg    StreamsConfig
	client goredis.UniversalClient
	reader *goredis.Client // blocking reads, on connections of their own
	owned  bool
	log    *slog.Logger
	sub    *subscriber

	wg   sync.WaitGroup
	stop chan struct{}

	// mu guards the fields below.
	mu      sync.Mutex
	closed  bool
	byNsp   map[string]*StreamsAdapter
	readers map[string]chan struct{} // stream name: closed once its first read position is known
}

// NewStreams connects to Redis (lazily, as New) and returns the streams adapter's factory.
func NewStreams(cfg StreamsConfig) (*Streams, error) {
	client, owned, err := connect(cfg.URL, cfg.TLS, cfg.Client)
	if err != nil {
		return nil, err
	}
	plain, ok := client.(*goredis.Client)
	if !ok {
		if owned {
			_ = client.Close()
		}
		return nil, errors.New("redis adapter: the streams adapter needs a *goredis.Client")
	}
	cfg.StreamName = orDefault(cfg.StreamName, "socket.io")
	cfg.StreamCount = max(cfg.StreamCount, 1)
	cfg.ChannelPrefix = orDefault(cfg.ChannelPrefix, "socket.io")
	cfg.MaxLen = orDefault(cfg.MaxLen, 10000)
	cfg.ReadCount = orDefault(cfg.ReadCount, 100)
	cfg.BlockTime = orDefault(cfg.BlockTime, 5*time.Second)
	cfg.SessionKeyPrefix = orDefault(cfg.SessionKeyPrefix, "sio:session:")
	cfg.RequestsTimeout = orDefault(cfg.RequestsTimeout, 5*time.Second)
	o := plain.Options()
	ropt := goredis.Options{
		Network: o.Network, Addr: o.Addr, Dialer: o.Dialer, Protocol: o.Protocol,
		Username: o.Username, Password: o.Password, CredentialsProvider: o.CredentialsProvider,
		DB: o.DB, TLSConfig: o.TLSConfig, DialTimeout: o.DialTimeout,
		ReadTimeout: cfg.BlockTime + 5*time.Second, MaxRetries: 1,
	}
	s := &Streams{
		cfg: cfg, client: client, owned: owned, log: logger(cfg.Logger),
		reader:  goredis.NewClient(&ropt),
		stop:    make(chan struct{}),
		byNsp:   make(map[string]*StreamsAdapter),
		readers: make(map[string]chan struct{}),
	}
	s.sub = newSubscriber(client.Subscribe(context.Background()), s.log, s.onPubSub)
	return s, nil
}

// Close stops the readers and the subscriber, and closes the client if the adapter
// created it.
func (s *Streams) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	errs := []error{s.sub.close(), s.reader.Close()}
	s.wg.Wait()
	if s.owned {
		errs = append(errs, s.client.Close())
	}
	return errors.Join(errs...)
}

func (s *Streams) goAnswer(f func()) {
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

// hashCode is Java's String.hashCode over UTF-16 code units, as Node computes it.
func hashCode(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

func (s *Streams) streamOf(nsp string) string {
	if s.cfg.StreamCount == 1 {
		return s.cfg.StreamName
	}
	// JavaScript's % keeps the sign.
	return s.cfg.StreamName + "-" + strconv.Itoa(int(hashCode(nsp)%int32(s.cfg.StreamCount)))
}

// ensureReader starts the reader of stream once, and returns a channel closed when it
// knows where to start reading.
func (s *Streams) ensureReader(stream string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.readers[stream]; ok {
		return ch
	}
	ch := make(chan struct{})
	s.readers[stream] = ch
	if s.closed {
		close(ch)
		return ch
	}
	s.wg.Add(1)
	go s.read(stream, ch)
	return ch
}

// read reads stream from its current end, routing entries to their namespace's adapter.
func (s *Streams) read(stream string, ready chan struct{}) {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	last := "$"
	if msgs, err := s.reader.XRevRangeN(ctx, stream, "+", "-", 1).Result(); err == nil {
		last = "0-0"
		if len(msgs) == 1 {
			last = msgs[0].ID
		}
	}
	close(ready)
	backoff := 50 * time.Millisecond
	for {
		res, err := s.reader.XRead(ctx, &goredis.XReadArgs{
			Streams: []string{stream, last}, Count: s.cfg.ReadCount, Block: s.cfg.BlockTime,
		}).Result()
		select {
		case <-s.stop:
			return
		default:
		}
		if err != nil {
			if !errors.Is(err, goredis.Nil) {
				select {
				case <-s.stop:
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, time.Second)
			}
			continue
		}
		backoff = 50 * time.Millisecond
		for _, st := range res {
			for _, e := range st.Messages {
				last = e.ID
				s.onEntry(e)
			}
		}
	}
}

func (s *Streams) onEntry(e goredis.XMessage) {
	nsp, _ := e.Values["nsp"].(string)
	if nsp == "" {
		return
	}
	s.mu.Lock()
	a := s.byNsp[nsp]
	s.mu.Unlock()
	if a == nil {
		return
	}
	m, err := decodeEntry(e.Values)
	if err != nil {
		s.log.Warn("redis adapter: dropping a malformed stream entry", "id", e.ID, "err", err)
		return
	}
	a.c.onMessage(m, e.ID)
}

// decodeEntry reads a stream entry {uid, nsp, type: "<n>", data: JSON or base64 msgpack}.
func decodeEntry(v map[string]any) (*clusterMessage, error) {
	str := func(k string) string { s, _ := v[k].(string); return s }
	typ, err := strconv.Atoi(str("type"))
	if err != nil {
		return nil, fmt.Errorf("type %q", str("type"))
	}
	m := &clusterMessage{UID: str("uid"), Nsp: str("nsp"), Type: typ}
	if d := str("data"); d != "" {
		raw := []byte(d)
		if d[0] != '{' {
			if raw, err = base64.StdEncoding.DecodeString(d); err != nil {
				return nil, err
			}
		}
		if m.Data, m.Atts, err = decodeMessage(raw); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (s *Streams) onPubSub(msg *goredis.Message) {
	m, err := decodeClusterMessage([]byte(msg.Payload))
	if err != nil {
		s.log.Warn("redis adapter: dropping a malformed message", "channel", msg.Channel, "err", err)
		return
	}
	s.mu.Lock()
	a := s.byNsp[m.Nsp]
	s.mu.Unlock()
	if a != nil && (msg.Channel == a.publicChannel || msg.Channel == a.privateChannel) {
		a.c.onMessage(m, "")
	}
}

// Adapter builds the adapter of one namespace; it is an adapter.Factory.
func (s *Streams) Adapter(ns adapter.Namespace) (adapter.Adapter, error) {
	a := &StreamsAdapter{
		s:             s,
		stream:        s.streamOf(ns.Name()),
		publicChannel: s.cfg.ChannelPrefix + "#" + ns.Name() + "#",
		rec:           ns.Recovery(),
		pending:       make(map[string]*pendingRestore),
		restored:      make(map[string]string),
	}
	c, err := newClusterAdapter(ns, a, s.log, s.cfg.RequestsTimeout, s.goAnswer)
	if err != nil {
		return nil, err
	}
	a.c = c
	a.privateChannel = a.publicChannel + c.uid + "#"
	c.deliver = a.deliver
	return a, nil
}

// StreamsAdapter is the streams adapter of one namespace.
type StreamsAdapter struct {
	s                             *Streams
	c                             *clusterAdapter
	stream                        string
	publicChannel, privateChannel string
	rec                           adapter.Recovery

	// mu orders deliveries with restores: a restored socket gets the packets broadcast
	// while it was coming back exactly once.
	mu       sync.Mutex
	pending  map[string]*pendingRestore // by socket id, between RestoreSession and AddAll
	restored map[string]string          // socket id: last offset its restore replayed
	sessions []string                   // session keys this node stored, oldest first (MaxSessions)
}

type pendingRestore struct {
	rooms []string
	last  string // the last offset the restore read; "" while reading
	buf   []*adapter.Packet
	timer *time.Timer
}

var (
	_ adapter.Adapter      = (*StreamsAdapter)(nil)
	_ adapter.SessionStore = (*StreamsAdapter)(nil)
)

// Init starts the reader of the namespace's stream and subscribes to its channels.
func (a *StreamsAdapter) Init(ctx context.Context) error {
	s := a.s
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.byNsp[a.c.ns.Name()] = a
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestsTimeout)
	defer cancel()
	ready := s.ensureReader(a.stream)
	kind := "subscribe"
	if s.cfg.UseShardedPubSub {
		kind = "ssubscribe"
	}
	if err := s.sub.subscribe(ctx, kind, a.publicChannel, a.privateChannel); err != nil {
		s.log.Warn("redis adapter: subscriptions not confirmed yet", "namespace", a.c.ns.Name(), "err", err)
	}
	select {
	case <-ready:
	case <-ctx.Done():
	}
	return nil
}

// Close unsubscribes; the stream reader stops with the Streams.
func (a *StreamsAdapter) Close() error {
	s := a.s
	s.mu.Lock()
	if s.byNsp[a.c.ns.Name()] == a {
		delete(s.byNsp, a.c.ns.Name())
	}
	closed := s.closed
	s.mu.Unlock()
	if !closed {
		kind := "subscribe"
		if s.cfg.UseShardedPubSub {
			kind = "ssubscribe"
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.sub.unsubscribe(ctx, kind, a.publicChannel, a.privateChannel)
		cancel()
	}
	a.mu.Lock()
	for id, p := range a.pending {
		p.timer.Stop()
		delete(a.pending, id)
	}
	a.mu.Unlock()
	a.c.close()
	return nil
}

// AddAll implements adapter.Adapter; the first registration of a restored socket gets the
// packets broadcast during its restore.
func (a *StreamsAdapter) AddAll(sock adapter.Socket, rooms ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.c.local.AddAll(sock, rooms...)
	p := a.pending[sock.ID()]
	if p == nil || p.last == "" {
		return
	}
	delete(a.pending, sock.ID())
	p.timer.Stop()
	a.restored[sock.ID()] = p.last
	for _, pk := range p.buf {
		sock.Deliver(pk)
	}
}

// Del implements adapter.Adapter.
func (a *StreamsAdapter) Del(sock adapter.Socket, room string) { a.c.local.Del(sock, room) }

// DelAll implements adapter.Adapter; it also abandons a restore of that socket.
func (a *StreamsAdapter) DelAll(sock adapter.Socket) {
	a.mu.Lock()
	if p := a.pending[sock.ID()]; p != nil {
		p.timer.Stop()
		delete(a.pending, sock.ID())
	}
	delete(a.restored, sock.ID())
	a.mu.Unlock()
	a.c.local.DelAll(sock)
}

// SocketRooms implements adapter.Adapter.
func (a *StreamsAdapter) SocketRooms(id string) []string { return a.c.local.SocketRooms(id) }

// Sockets implements adapter.Adapter (local sockets only).
func (a *StreamsAdapter) Sockets(opts adapter.BroadcastOptions) []string {
	return a.c.local.Sockets(opts)
}

// Broadcast implements adapter.Adapter.
func (a *StreamsAdapter) Broadcast(p *adapter.Packet, opts adapter.BroadcastOptions) error {
	return a.c.Broadcast(p, opts)
}

// BroadcastWithAck implements adapter.Adapter.
func (a *StreamsAdapter) BroadcastWithAck(p *adapter.Packet, opts adapter.BroadcastOptions, clientCount func(int), ack func(adapter.Ack)) error {
	return a.c.BroadcastWithAck(p, opts, clientCount, ack)
}

// FetchSockets implements adapter.Adapter.
func (a *StreamsAdapter) FetchSockets(ctx context.Context, opts adapter.BroadcastOptions) ([]adapter.SocketInfo, error) {
	return a.c.FetchSockets(ctx, opts)
}

// AddSockets implements adapter.Adapter.
func (a *StreamsAdapter) AddSockets(opts adapter.BroadcastOptions, rooms []string) {
	a.c.AddSockets(opts, rooms)
}

// DelSockets implements adapter.Adapter.
func (a *StreamsAdapter) DelSockets(opts adapter.BroadcastOptions, rooms []string) {
	a.c.DelSockets(opts, rooms)
}

// DisconnectSockets implements adapter.Adapter.
func (a *StreamsAdapter) DisconnectSockets(opts adapter.BroadcastOptions, closeConn bool) {
	a.c.DisconnectSockets(opts, closeConn)
}

// ServerSideEmit implements adapter.Adapter.
func (a *StreamsAdapter) ServerSideEmit(args []json.RawMessage) error {
	return a.c.ServerSideEmit(args)
}

// ServerSideEmitWithAck implements adapter.Adapter.
func (a *StreamsAdapter) ServerSideEmitWithAck(ctx context.Context, args []json.RawMessage) ([]json.RawMessage, error) {
	return a.c.ServerSideEmitWithAck(ctx, args)
}

// ServerCount implements adapter.Adapter: PUBSUB NUMSUB of the namespace's public channel.
func (a *StreamsAdapter) ServerCount(ctx context.Context) (int, error) { return a.c.ServerCount(ctx) }

// deliver hands a broadcast to the local sockets, with its offset when recovery is on.
func (a *StreamsAdapter) deliver(p *adapter.Packet, opts adapter.BroadcastOptions, offset string) {
	if !a.rec.Enabled() || offset == "" || !p.Recoverable() {
		_ = a.c.local.Broadcast(p, opts)
		return
	}
	p = p.WithOffset(offset)
	a.mu.Lock()
	defer a.mu.Unlock()
	for sid, pr := range a.pending {
		if opts.Includes(pr.rooms) && (pr.last == "" || streamIDLess(pr.last, offset)) {
			pr.buf = append(pr.buf, p)
		}
		_ = sid
	}
	// A socket whose restore replayed this packet already must not get it twice.
	var skip []string
	for sid, last := range a.restored {
		if streamIDLess(last, offset) {
			delete(a.restored, sid)
		} else {
			skip = append(skip, sid)
		}
	}
	if len(skip) > 0 {
		opts.Except = append(append([]string(nil), opts.Except...), skip...)
	}
	_ = a.c.local.Broadcast(p, opts)
}

// streamIDLess compares two stream entry ids "<ms>-<seq>".
func streamIDLess(x, y string) bool {
	xm, xs := splitID(x)
	ym, ys := splitID(y)
	if xm != ym {
		return xm < ym
	}
	return xs < ys
}

func splitID(id string) (uint64, uint64) {
	ms, seq, _ := strings.Cut(id, "-")
	a, _ := strconv.ParseUint(ms, 10, 64)
	b, _ := strconv.ParseUint(seq, 10, 64)
	return a, b
}

// The transport of the cluster protocol.

func (a *StreamsAdapter) healthy() bool { return a.s.sub.healthy.Load() }

func (a *StreamsAdapter) serverCount(ctx context.Context) (int, error) {
	return numsub(ctx, a.s.client, a.publicChannel, a.s.cfg.UseShardedPubSub)
}

func (a *StreamsAdapter) pubsub(ctx context.Context, channel string, m *clusterMessage) error {
	if !a.healthy() {
		return ErrUnavailable
	}
	b, err := m.encodeMsgpack()
	if err != nil {
		return err
	}
	if a.s.cfg.UseShardedPubSub {
		err = a.s.client.SPublish(ctx, channel, b).Err()
	} else {
		err = a.s.client.Publish(ctx, channel, b).Err()
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

func (a *StreamsAdapter) publish(ctx context.Context, m *clusterMessage, _ *adapter.BroadcastOptions, withAck bool) (string, error) {
	// Broadcasts with acks, server-side emits and fetches are short-lived: pub/sub.
	if withAck || m.Type == msgServerSideEmit || m.Type == msgFetchSockets {
		return "", a.pubsub(ctx, a.publicChannel, m)
	}
	if !a.healthy() {
		return "", ErrUnavailable
	}
	values := []any{"uid", m.UID, "nsp", m.Nsp, "type", strconv.Itoa(m.Type)}
	if len(m.Data) > 0 {
		data := string(m.Data)
		if !a.s.cfg.OnlyPlaintext && mayHoldBinary(m.Type) && len(m.Atts) > 0 {
			b, err := m.encodeDataMsgpack()
			if err != nil {
				return "", err
			}
			data = base64.StdEncoding.EncodeToString(b)
		}
		values = append(values, "data", data)
	}
	args := &goredis.XAddArgs{Stream: a.stream, MaxLen: a.s.cfg.MaxLen, Approx: true, Values: values}
	if a.rec.MaxPackets > 0 {
		args.MaxLen, args.Approx = int64(a.rec.MaxPackets), false
	}
	id, err := a.s.client.XAdd(ctx, args).Result()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return id, nil
}

func (a *StreamsAdapter) publishResponse(ctx context.Context, requesterUID string, m *clusterMessage) error {
	return a.pubsub(ctx, a.publicChannel+requesterUID+"#", m)
}

// Connection state recovery.

// sessionWire is socket.io's session {sid, pid, rooms, data}.
type sessionWire struct {
	SID   string          `json:"sid"`
	PID   string          `json:"pid"`
	Rooms []string        `json:"rooms"`
	Data  json.RawMessage `json:"data"`
}

// PersistSession implements adapter.SessionStore: the session as base64(msgpack) under
// "<SessionKeyPrefix><pid>", expiring after MaxDisconnectionDuration, as Node stores it.
func (a *StreamsAdapter) PersistSession(sess *adapter.Session) error {
	data, err := json.Marshal(sess.Data)
	if err != nil {
		data = json.RawMessage("null")
	}
	w := sessionWire{SID: sess.SID, PID: sess.PID, Rooms: nonNil(sess.Rooms), Data: data}
	raw, _ := json.Marshal(w)
	m := clusterMessage{Data: raw}
	b, err := m.encodeDataMsgpack()
	if err != nil {
		return err
	}
	key := a.s.cfg.SessionKeyPrefix + sess.PID
	ctx, cancel := context.WithTimeout(context.Background(), a.s.cfg.RequestsTimeout)
	defer cancel()
	if err := a.s.client.Set(ctx, key, base64.StdEncoding.EncodeToString(b), a.rec.MaxDisconnectionDuration).Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if n := a.rec.MaxSessions; n > 0 {
		a.mu.Lock()
		a.sessions = append(a.sessions, key)
		var drop []string
		if len(a.sessions) > n {
			drop = append(drop, a.sessions[:len(a.sessions)-n]...)
			a.sessions = append([]string(nil), a.sessions[len(a.sessions)-n:]...)
		}
		a.mu.Unlock()
		if len(drop) > 0 {
			_ = a.s.client.Del(ctx, drop...).Err()
		}
	}
	return nil
}

var offsetRE = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

// RestoreSession implements adapter.SessionStore: the session of pid (taken from Redis,
// so at most once) and the broadcasts after offset in the stream that its rooms select.
// The offset must still be in the stream; it is checked before the session is taken, so
// that a wrong offset does not cost the session.
func (a *StreamsAdapter) RestoreSession(ctx context.Context, pid, offset string) (*adapter.Session, error) {
	if !offsetRE.MatchString(offset) {
		return nil, nil
	}
	c := a.s.client
	ents, err := c.XRange(ctx, a.stream, offset, offset).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if len(ents) != 1 || ents[0].ID != offset {
		return nil, nil
	}
	raw, err := c.GetDel(ctx, a.s.cfg.SessionKeyPrefix+pid).Result()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	blob, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, nil
	}
	js, _, err := decodeMessage(blob)
	var w sessionWire
	if err != nil || json.Unmarshal(js, &w) != nil || w.SID == "" {
		return nil, nil
	}
	sess := &adapter.Session{SID: w.SID, PID: pid, Rooms: w.Rooms}
	if len(w.Data) > 0 {
		_ = json.Unmarshal(w.Data, &sess.Data)
	}
	// Packets broadcast from now on are kept for the socket until it is registered.
	pr := &pendingRestore{rooms: w.Rooms}
	pr.timer = time.AfterFunc(max(a.rec.MaxDisconnectionDuration, time.Minute), func() {
		a.mu.Lock()
		if a.pending[w.SID] == pr {
			delete(a.pending, w.SID)
		}
		a.mu.Unlock()
	})
	a.mu.Lock()
	a.pending[w.SID] = pr
	a.mu.Unlock()
	last := offset
	for i := 0; i < 100; i++ {
		ents, err := c.XRange(ctx, a.stream, nextID(last), "+").Result()
		if err != nil {
			a.abandon(w.SID, pr)
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			last = e.ID
			if e.Values["nsp"] != a.c.ns.Name() || e.Values["type"] != "3" {
				continue
			}
			m, err := decodeEntry(e.Values)
			if err != nil {
				continue
			}
			var d struct {
				Packet wirePacket `json:"packet"`
				Opts   *wireOpts  `json:"opts"`
			}
			if json.Unmarshal(m.Data, &d) != nil {
				continue
			}
			p := d.Packet.packet(a.c.ns.Name(), m.Atts, false)
			// Volatile packets are not kept for recovery (Node replays them; socket.io's
			// live path gives them no offset).
			if p != nil && d.Opts.options().Includes(w.Rooms) && (d.Opts == nil || !d.Opts.Flags.Volatile) {
				sess.MissedPackets = append(sess.MissedPackets, p.WithOffset(e.ID))
			}
		}
	}
	a.mu.Lock()
	pr.last = last
	kept := pr.buf[:0]
	for _, p := range pr.buf {
		if streamIDLess(last, p.Offset) {
			kept = append(kept, p)
		}
	}
	pr.buf = kept
	a.mu.Unlock()
	return sess, nil
}

func (a *StreamsAdapter) abandon(sid string, pr *pendingRestore) {
	a.mu.Lock()
	defer a.mu.Unlock()
	pr.timer.Stop()
	if a.pending[sid] == pr {
		delete(a.pending, sid)
	}
}

// nextID is the smallest stream id after id.
func nextID(id string) string {
	ms, seq := splitID(id)
	return strconv.FormatUint(ms, 10) + "-" + strconv.FormatUint(seq+1, 10)
}
