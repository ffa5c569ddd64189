package redis

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/sockgate/sockgate/adapter"
)

// Config configures the classic adapter. The zero value of every field but URL/Client
// means the default of Node's @socket.io/redis-adapter.
type Config struct {
	// URL is the Redis server, "redis://[:password@]host:port[/db]" or "rediss://..." for
	// TLS. It is used when Client is nil.
	URL string
	// Client is an existing client (a *goredis.Client or a *goredis.ClusterClient); the
	// adapter does not close it.
	Client goredis.UniversalClient
	// TLS configures the connection of a "rediss://" URL (for example RootCAs for a
	// private CA); nil means Go's defaults with the URL's host as server name.
	TLS *tls.Config
	// Key is the channel prefix; zero means "socket.io". Every node of a cluster uses the
	// same.
	Key string
	// RequestsTimeout bounds fetch-sockets, all-rooms and server-side-emit requests; zero
	// means 5 s.
	RequestsTimeout time.Duration
	// PublishOnSpecificResponseChannel sends responses to the requesting node's own
	// channel instead of the channel every node reads.
	PublishOnSpecificResponseChannel bool
	// Logger receives connection losses and malformed messages; nil means slog.Default().
	Logger *slog.Logger
}

// Classic joins the namespaces of one server to a cluster through Redis pub/sub, with
// the protocol of @socket.io/redis-adapter 8.3 (Node's createAdapter). It holds one
// publishing client and one subscribed connection shared by every namespace, as a Node
// server does. Its Adapter method is the gateway's adapter factory. Safe for concurrent
// use.
type Classic struct {
	cfg    Config
	client goredis.UniversalClient
	owned  bool
	log    *slog.Logger
	sub    *subscriber

	// wg counts the goroutines answering requests.
	wg sync.WaitGroup

	// mu guards the fields below.
	mu        sync.RWMutex
	closed    bool
	byPattern map[string]*Adapter // broadcast pattern "<key>#<nsp>#*"
	byChannel map[string]*Adapter // request and response channels
}

// New connects to Redis and returns the classic adapter's factory. The connection is
// made lazily: New does not fail when Redis is down, and the adapters join the cluster
// when it comes up.
func New(cfg Config) (*Classic, error) {
	client, owned, err := connect(cfg.URL, cfg.TLS, cfg.Client)
	if err != nil {
		return nil, err
	}
	cfg.Key = orDefault(cfg.Key, "socket.io")
	cfg.RequestsTimeout = orDefault(cfg.RequestsTimeout, 5*time.Second)
	c := &Classic{
		cfg:       cfg,
		client:    client,
		owned:     owned,
		log:       logger(cfg.Logger),
		byPattern: make(map[string]*Adapter),
		byChannel: make(map[string]*Adapter),
	}
	c.sub = newSubscriber(client.Subscribe(context.Background()), c.log, c.onMessage)
	return c, nil
}

// Adapter builds the adapter of one namespace; it is an adapter.Factory.
func (c *Classic) Adapter(ns adapter.Namespace) (adapter.Adapter, error) {
	mem, err := newLocal(ns)
	if err != nil {
		return nil, err
	}
	uid := uid6()
	name := ns.Name()
	a := &Adapter{
		c:               c,
		ns:              ns,
		local:           mem.(localRooms),
		uid:             uid,
		channel:         c.cfg.Key + "#" + name + "#",
		requestChannel:  c.cfg.Key + "-request#" + name + "#",
		responseChannel: c.cfg.Key + "-response#" + name + "#",
		requests:        make(map[string]*request),
		ackRequests:     make(map[string]*ackRequest),
	}
	a.specificChannel = a.responseChannel + uid + "#"
	return a, nil
}

// Healthy reports whether the subscribed connection to Redis is up.
func (c *Classic) Healthy() bool { return c.sub.healthy.Load() }

// Close stops the subscriber and closes the client if the adapter created it. Close the
// gateway server (and so its adapters) first.
func (c *Classic) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	err := c.sub.close()
	c.wg.Wait()
	if c.owned {
		if cerr := c.client.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (c *Classic) onMessage(m *goredis.Message) {
	c.mu.RLock()
	var a *Adapter
	if m.Pattern != "" {
		a = c.byPattern[m.Pattern]
	} else {
		a = c.byChannel[m.Channel]
	}
	c.mu.RUnlock()
	if a == nil {
		return
	}
	payload := []byte(m.Payload)
	switch {
	case m.Pattern != "":
		a.onBroadcast(m.Channel, payload)
	case m.Channel == a.requestChannel:
		a.onRequest(payload)
	default:
		a.onResponse(payload)
	}
}

// plainNamespace hides the namespace's recovery settings from the in-memory adapter that
// keeps the local rooms: this adapter keeps no sessions, so the server turns recovery off
// for the namespace, and local packets must not carry offsets either.
type plainNamespace struct{ adapter.Namespace }

func (plainNamespace) Recovery() adapter.Recovery { return adapter.Recovery{} }

// localRooms is the in-memory adapter (adapter.NewMemory) that keeps a cluster adapter's
// local rooms; its Rooms lists them all for the requests that ask every node.
type localRooms interface {
	adapter.Adapter
	Rooms() []string
}

func newLocal(ns adapter.Namespace) (adapter.Adapter, error) {
	return adapter.NewMemory(plainNamespace{ns})
}

// goAnswer runs f on its own goroutine, counted so that Close waits for it.
func (c *Classic) goAnswer(f func()) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// Adapter is the classic adapter of one namespace. Local rooms live in an in-memory
// adapter; everything that may concern other nodes is also published to Redis.
type Adapter struct {
	c     *Classic
	ns    adapter.Namespace
	local localRooms
	uid   string

	channel, requestChannel, responseChannel, specificChannel string

	// reqMu guards requests and ackRequests.
	reqMu       sync.Mutex
	requests    map[string]*request
	ackRequests map[string]*ackRequest
}

var _ adapter.Adapter = (*Adapter)(nil)

// Request types of the classic protocol.
const (
	typeSockets = iota
	typeAllRooms
	typeRemoteJoin
	typeRemoteLeave
	typeRemoteDisconnect
	typeRemoteFetch
	typeServerSideEmit
	typeBroadcast
	typeBroadcastClientCount
	typeBroadcastAck
)

// The kinds of requests the adapters report to adapter.Namespace.ObserveRequest (the
// metric label of package metrics). Requests that await responses are timed until the
// last response; the others until they are published.
const (
	KindFetchSockets     = "fetch_sockets"
	KindAllRooms         = "all_rooms"
	KindServerSideEmit   = "server_side_emit" // with acks
	KindRemoteJoin       = "remote_join"
	KindRemoteLeave      = "remote_leave"
	KindRemoteDisconnect = "remote_disconnect"
	KindBroadcastAck     = "broadcast_ack" // published; the acks arrive one by one
)

var classicKinds = map[int]string{
	typeRemoteFetch: KindFetchSockets, typeAllRooms: KindAllRooms, typeServerSideEmit: KindServerSideEmit,
	typeRemoteJoin: KindRemoteJoin, typeRemoteLeave: KindRemoteLeave, typeRemoteDisconnect: KindRemoteDisconnect,
}

// request is a pending request of this node awaiting responses.
type request struct {
	typ       int
	start     time.Time // when it was registered, for ObserveRequest
	numSub    int
	msgCount  int
	rooms     map[string]struct{}
	sockets   []adapter.SocketInfo
	responses []json.RawMessage
	done      chan struct{}
	finished  bool
}

type ackRequest struct {
	clientCount func(int)
	ack         func(adapter.Ack)
	timer       *time.Timer
}

// Init subscribes to the namespace's channels. It waits up to RequestsTimeout for Redis
// to confirm; when Redis is away it returns nil all the same and the subscriptions are
// made when Redis comes back.
func (a *Adapter) Init(ctx context.Context) error {
	c := a.c
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.byPattern[a.channel+"*"] = a
	for _, ch := range []string{a.requestChannel, a.responseChannel, a.specificChannel} {
		c.byChannel[ch] = a
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestsTimeout)
	defer cancel()
	err := c.sub.subscribe(ctx, "psubscribe", a.channel+"*")
	if err == nil {
		err = c.sub.subscribe(ctx, "subscribe", a.requestChannel, a.responseChannel, a.specificChannel)
	}
	if err != nil {
		c.log.Warn("redis adapter: subscriptions not confirmed yet; they are made when Redis is back",
			"namespace", a.ns.Name(), "err", err)
	}
	return nil
}

// Close unsubscribes and ends the pending requests.
func (a *Adapter) Close() error {
	c := a.c
	c.mu.Lock()
	delete(c.byPattern, a.channel+"*")
	for _, ch := range []string{a.requestChannel, a.responseChannel, a.specificChannel} {
		delete(c.byChannel, ch)
	}
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c.sub.unsubscribe(ctx, "psubscribe", a.channel+"*")
		c.sub.unsubscribe(ctx, "subscribe", a.requestChannel, a.responseChannel, a.specificChannel)
		cancel()
	}
	a.reqMu.Lock()
	for id, r := range a.ackRequests {
		r.timer.Stop()
		delete(a.ackRequests, id)
	}
	a.reqMu.Unlock()
	return nil
}

// AddAll implements adapter.Adapter.
func (a *Adapter) AddAll(s adapter.Socket, rooms ...string) { a.local.AddAll(s, rooms...) }

// Del implements adapter.Adapter.
func (a *Adapter) Del(s adapter.Socket, room string) { a.local.Del(s, room) }

// DelAll implements adapter.Adapter.
func (a *Adapter) DelAll(s adapter.Socket) { a.local.DelAll(s) }

// SocketRooms implements adapter.Adapter.
func (a *Adapter) SocketRooms(id string) []string { return a.local.SocketRooms(id) }

// Sockets implements adapter.Adapter (local sockets only).
func (a *Adapter) Sockets(opts adapter.BroadcastOptions) []string { return a.local.Sockets(opts) }

// publish sends msg to channel, failing at once while the subscriber is down.
func (a *Adapter) publish(channel string, msg []byte) error {
	if !a.c.sub.healthy.Load() {
		return ErrUnavailable
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.c.cfg.RequestsTimeout)
	defer cancel()
	if err := a.c.client.Publish(ctx, channel, msg).Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

// Broadcast implements adapter.Adapter: local sockets first, then the other nodes, with
// the message [uid, packet, opts] on the namespace's channel, or on the room's channel
// when there is exactly one room.
func (a *Adapter) Broadcast(p *adapter.Packet, opts adapter.BroadcastOptions) error {
	err := a.local.Broadcast(p, opts)
	if opts.Local {
		return err
	}
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	if err := enc.EncodeArrayLen(3); err != nil {
		return err
	}
	if err := enc.EncodeString(a.uid); err != nil {
		return err
	}
	if err := encodePacket(enc, p, a.ns.Name(), true); err != nil {
		return err
	}
	if err := encodeOpts(enc, opts, p.Volatile, true); err != nil {
		return err
	}
	channel := a.channel
	if len(opts.Rooms) == 1 {
		channel += opts.Rooms[0] + "#"
	}
	return a.publish(channel, buf.Bytes())
}

// encodePacket writes the socket.io-parser packet object {type: 2, data, nsp}.
func encodePacket(enc *msgpack.Encoder, p *adapter.Packet, nsp string, withNsp bool) error {
	n := 2
	if withNsp {
		n = 3
	}
	if err := enc.EncodeMapLen(n); err != nil {
		return err
	}
	_ = enc.EncodeString("type")
	_ = enc.EncodeInt(2)
	_ = enc.EncodeString("data")
	if err := jsonToMsgpack(enc, p.Data, p.Attachments); err != nil {
		return err
	}
	if withNsp {
		_ = enc.EncodeString("nsp")
		return enc.EncodeString(nsp)
	}
	return nil
}

// encodeOpts writes {rooms, except[, flags]}; flags is always present when asked for
// ({} when empty), timeout in milliseconds, volatile that of the packet.
func encodeOpts(enc *msgpack.Encoder, opts adapter.BroadcastOptions, volatile, withFlags bool) error {
	n := 2
	if withFlags {
		n = 3
	}
	_ = enc.EncodeMapLen(n)
	_ = enc.EncodeString("rooms")
	writeStrings(enc, opts.Rooms)
	_ = enc.EncodeString("except")
	writeStrings(enc, opts.Except)
	if !withFlags {
		return nil
	}
	_ = enc.EncodeString("flags")
	var nf int
	if volatile {
		nf++
	}
	if opts.Timeout > 0 {
		nf++
	}
	_ = enc.EncodeMapLen(nf)
	if volatile {
		_ = enc.EncodeString("volatile")
		_ = enc.EncodeBool(true)
	}
	if opts.Timeout > 0 {
		_ = enc.EncodeString("timeout")
		_ = enc.EncodeInt(opts.Timeout.Milliseconds())
	}
	return nil
}

func writeStrings(enc *msgpack.Encoder, ss []string) {
	_ = enc.EncodeArrayLen(len(ss))
	for _, s := range ss {
		_ = enc.EncodeString(s)
	}
}

// wireOpts is the {rooms, except, flags} object of a message.
type wireOpts struct {
	Rooms  json.RawMessage `json:"rooms"`
	Except json.RawMessage `json:"except"`
	Flags  struct {
		Volatile bool    `json:"volatile"`
		Local    bool    `json:"local"`
		Timeout  float64 `json:"timeout"`
	} `json:"flags"`
}

func (o *wireOpts) options() adapter.BroadcastOptions {
	if o == nil {
		return adapter.BroadcastOptions{}
	}
	return adapter.BroadcastOptions{
		Rooms:   roomList(o.Rooms),
		Except:  roomList(o.Except),
		Timeout: time.Duration(o.Flags.Timeout * float64(time.Millisecond)),
	}
}

// volatile reports the volatile flag, which the receiving node sets on the packet.
func (o *wireOpts) volatile() bool { return o != nil && o.Flags.Volatile }

// wirePacket is the socket.io-parser packet object of a broadcast.
type wirePacket struct {
	Type int             `json:"type"`
	Data json.RawMessage `json:"data"`
	Nsp  *string         `json:"nsp"`
}

// packet returns the packet for namespace nsp, or nil when it is for another namespace
// or not an event.
func (wp *wirePacket) packet(nsp string, atts [][]byte, checkNsp bool) *adapter.Packet {
	if wp == nil || (wp.Type != 2 && wp.Type != 5) || len(wp.Data) == 0 || wp.Data[0] != '[' {
		return nil
	}
	if checkNsp {
		name := "/"
		if wp.Nsp != nil {
			name = *wp.Nsp
		}
		if name != nsp {
			return nil
		}
	}
	return &adapter.Packet{Namespace: nsp, Data: wp.Data, Attachments: atts}
}

// onBroadcast handles [uid, packet, opts] from another node.
func (a *Adapter) onBroadcast(channel string, msg []byte) {
	data, atts, err := decodeMessage(msg)
	if err != nil {
		a.c.log.Warn("redis adapter: dropping a malformed broadcast", "channel", channel, "err", err)
		return
	}
	var parts []json.RawMessage
	if json.Unmarshal(data, &parts) != nil || len(parts) < 2 {
		a.c.log.Warn("redis adapter: dropping a broadcast that is not [uid, packet, opts]", "channel", channel)
		return
	}
	var uid string
	_ = json.Unmarshal(parts[0], &uid)
	if uid == a.uid {
		return
	}
	var wp wirePacket
	if json.Unmarshal(parts[1], &wp) != nil {
		return
	}
	p := wp.packet(a.ns.Name(), atts, true)
	if p == nil {
		return
	}
	var wo wireOpts
	if len(parts) > 2 {
		_ = json.Unmarshal(parts[2], &wo)
	}
	p.Volatile = wo.volatile()
	opts := wo.options()
	opts.Timeout = 0
	_ = a.local.Broadcast(p, opts)
}

// wireRequest is any request on the request channel; fields are presence-tested.
type wireRequest struct {
	UID       *string         `json:"uid"`
	RequestID json.RawMessage `json:"requestId"`
	Type      int             `json:"type"`
	Rooms     json.RawMessage `json:"rooms"`
	Opts      *wireOpts       `json:"opts"`
	Sid       string          `json:"sid"`
	Room      json.RawMessage `json:"room"`
	Close     bool            `json:"close"`
	Data      json.RawMessage `json:"data"`
	Packet    *wirePacket     `json:"packet"`
}

func (r *wireRequest) fromSelf(uid string) bool { return r.UID != nil && *r.UID == uid }

// key is the request id as a map key.
func idKey(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func (a *Adapter) onRequest(msg []byte) {
	data, atts, err := decodeMessage(msg)
	if err != nil {
		a.c.log.Warn("redis adapter: dropping a malformed request", "err", err)
		return
	}
	var r wireRequest
	if err := json.Unmarshal(data, &r); err != nil {
		a.c.log.Warn("redis adapter: dropping a malformed request", "err", err)
		return
	}
	hasID := len(r.RequestID) > 0
	switch r.Type {
	case typeSockets, typeAllRooms, typeRemoteFetch:
		if hasID && a.isOwnRequest(r.RequestID) {
			return
		}
		a.c.goAnswer(func() { a.answer(&r) })
	case typeRemoteJoin, typeRemoteLeave, typeRemoteDisconnect:
		// This node applied its own operation when it published it.
		if r.fromSelf(a.uid) {
			return
		}
		a.applyRemote(&r)
	case typeServerSideEmit:
		if r.fromSelf(a.uid) {
			return
		}
		var args []json.RawMessage
		if json.Unmarshal(r.Data, &args) != nil || len(args) == 0 {
			return
		}
		var reply func(json.RawMessage)
		if hasID {
			reqID := r.RequestID
			reply = func(v json.RawMessage) {
				msg, _ := json.Marshal(struct {
					Type      int             `json:"type"`
					RequestID json.RawMessage `json:"requestId"`
					Data      json.RawMessage `json:"data"`
				}{typeServerSideEmit, reqID, orNull(v)})
				// Always on the shared channel, as Node does.
				if err := a.publish(a.responseChannel, msg); err != nil {
					a.c.log.Warn("redis adapter: server-side emit reply lost", "err", err)
				}
			}
		}
		a.c.goAnswer(func() { a.ns.DispatchServerSideEmit(args, reply) })
	case typeBroadcast:
		if !hasID {
			return
		}
		key := idKey(r.RequestID)
		a.reqMu.Lock()
		_, own := a.ackRequests[key]
		a.reqMu.Unlock()
		if own {
			return
		}
		p := r.Packet.packet(a.ns.Name(), atts, false)
		if p == nil {
			return
		}
		a.c.goAnswer(func() { a.answerBroadcast(&r, p) })
	}
}

func orNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}

func (a *Adapter) isOwnRequest(raw json.RawMessage) bool {
	a.reqMu.Lock()
	defer a.reqMu.Unlock()
	_, ok := a.requests[idKey(raw)]
	return ok
}

// publishResponse sends a response to the requester: on its own channel when so
// configured, otherwise on the channel every node reads.
func (a *Adapter) publishResponse(r *wireRequest, msg []byte) {
	channel := a.responseChannel
	if a.c.cfg.PublishOnSpecificResponseChannel && r.UID != nil {
		channel = a.responseChannel + *r.UID + "#"
	}
	if err := a.publish(channel, msg); err != nil {
		a.c.log.Warn("redis adapter: response lost", "err", err)
	}
}

// answer responds to SOCKETS, ALL_ROOMS and REMOTE_FETCH. Arrays are never left out: Node
// ignores a response without them and the request stalls until its timeout.
func (a *Adapter) answer(r *wireRequest) {
	var resp any
	switch r.Type {
	case typeSockets:
		ids := a.local.Sockets(adapter.BroadcastOptions{Rooms: roomList(r.Rooms)})
		if ids == nil {
			ids = []string{}
		}
		resp = struct {
			RequestID json.RawMessage `json:"requestId"`
			Sockets   []string        `json:"sockets"`
		}{r.RequestID, ids}
	case typeAllRooms:
		rooms := a.local.Rooms()
		if rooms == nil {
			rooms = []string{}
		}
		resp = struct {
			RequestID json.RawMessage `json:"requestId"`
			Rooms     []string        `json:"rooms"`
		}{r.RequestID, rooms}
	case typeRemoteFetch:
		infos, _ := a.local.FetchSockets(context.Background(), r.Opts.options())
		socks := make([]wireSocket, len(infos))
		for i, info := range infos {
			socks[i] = toWireSocket(info)
		}
		resp = struct {
			RequestID json.RawMessage `json:"requestId"`
			Sockets   []wireSocket    `json:"sockets"`
		}{r.RequestID, socks}
	}
	msg, err := json.Marshal(resp)
	if err != nil {
		a.c.log.Warn("redis adapter: encoding a response", "err", err)
		return
	}
	a.publishResponse(r, msg)
}

// applyRemote runs a join, leave or disconnect sent by another node, in its v4 form
// (opts) or its legacy form (one socket id, answered).
func (a *Adapter) applyRemote(r *wireRequest) {
	if r.Opts != nil {
		opts := r.Opts.options()
		opts.Timeout = 0
		switch r.Type {
		case typeRemoteJoin:
			a.local.AddSockets(opts, roomList(r.Rooms))
		case typeRemoteLeave:
			a.local.DelSockets(opts, roomList(r.Rooms))
		case typeRemoteDisconnect:
			a.local.DisconnectSockets(opts, r.Close)
		}
		return
	}
	if r.Sid == "" {
		return
	}
	one := adapter.BroadcastOptions{Rooms: []string{r.Sid}}
	if len(a.local.Sockets(one)) == 0 {
		return
	}
	room := roomList(json.RawMessage("[" + string(orNull(r.Room)) + "]"))
	switch r.Type {
	case typeRemoteJoin:
		a.local.AddSockets(one, room)
	case typeRemoteLeave:
		a.local.DelSockets(one, room)
	case typeRemoteDisconnect:
		a.local.DisconnectSockets(one, r.Close)
	}
	if len(r.RequestID) > 0 {
		msg, _ := json.Marshal(struct {
			RequestID json.RawMessage `json:"requestId"`
		}{r.RequestID})
		a.publishResponse(r, msg)
	}
}

// answerBroadcast delivers another node's broadcast with acks to local sockets, with an
// ack id of this node, and reports the client count (even 0) and each ack.
func (a *Adapter) answerBroadcast(r *wireRequest, p *adapter.Packet) {
	p.ID, p.HasID = a.ns.NewAckID(), true
	opts := r.Opts.options()
	opts.Timeout = 0
	_ = a.local.BroadcastWithAck(p, opts,
		func(n int) {
			msg, _ := json.Marshal(struct {
				Type        int             `json:"type"`
				RequestID   json.RawMessage `json:"requestId"`
				ClientCount int             `json:"clientCount"`
			}{typeBroadcastClientCount, r.RequestID, n})
			a.publishResponse(r, msg)
		},
		func(ack adapter.Ack) {
			if ack.Err != nil {
				return
			}
			msg, err := encodeAckResponse(typeBroadcastAck, r.RequestID, ack)
			if err != nil {
				a.c.log.Warn("redis adapter: encoding an ack", "err", err)
				return
			}
			a.publishResponse(r, msg)
		})
}

// firstArg returns the first element of a JSON array ("null" when empty).
func firstArg(arr json.RawMessage) json.RawMessage {
	var items []json.RawMessage
	if json.Unmarshal(arr, &items) != nil || len(items) == 0 {
		return json.RawMessage("null")
	}
	return items[0]
}

// encodeAckResponse writes {type, requestId, packet: <first ack argument>} in msgpack.
func encodeAckResponse(typ int, reqID json.RawMessage, ack adapter.Ack) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	_ = enc.EncodeMapLen(3)
	_ = enc.EncodeString("type")
	_ = enc.EncodeInt(int64(typ))
	_ = enc.EncodeString("requestId")
	if err := jsonToMsgpack(enc, reqID, nil); err != nil {
		return nil, err
	}
	_ = enc.EncodeString("packet")
	if err := jsonToMsgpack(enc, firstArg(ack.Data), ack.Attachments); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// wireResponse is any response; fields are presence-tested.
type wireResponse struct {
	Type        *int            `json:"type"`
	RequestID   json.RawMessage `json:"requestId"`
	Sockets     json.RawMessage `json:"sockets"`
	Rooms       json.RawMessage `json:"rooms"`
	ClientCount *float64        `json:"clientCount"`
	Data        json.RawMessage `json:"data"`
	Packet      json.RawMessage `json:"packet"`
}

func (a *Adapter) onResponse(msg []byte) {
	data, atts, err := decodeMessage(msg)
	if err != nil {
		a.c.log.Warn("redis adapter: dropping a malformed response", "err", err)
		return
	}
	var resp wireResponse
	if json.Unmarshal(data, &resp) != nil || len(resp.RequestID) == 0 {
		return
	}
	key := idKey(resp.RequestID)
	a.reqMu.Lock()
	if ar := a.ackRequests[key]; ar != nil {
		a.reqMu.Unlock()
		if resp.Type == nil {
			return
		}
		switch *resp.Type {
		case typeBroadcastClientCount:
			if resp.ClientCount != nil {
				ar.clientCount(int(*resp.ClientCount))
			}
		case typeBroadcastAck:
			ar.ack(adapter.Ack{Data: json.RawMessage("[" + string(orNull(resp.Packet)) + "]"), Attachments: atts})
		}
		return
	}
	defer a.reqMu.Unlock()
	req := a.requests[key]
	if req == nil || req.finished {
		return
	}
	switch req.typ {
	case typeAllRooms:
		req.msgCount++
		rooms := roomList(resp.Rooms)
		if rooms == nil {
			return
		}
		for _, r := range rooms {
			req.rooms[r] = struct{}{}
		}
	case typeRemoteFetch:
		req.msgCount++
		var socks []wireSocket
		if len(resp.Sockets) == 0 || json.Unmarshal(resp.Sockets, &socks) != nil {
			return
		}
		for _, s := range socks {
			req.sockets = append(req.sockets, s.info())
		}
	case typeServerSideEmit:
		req.responses = append(req.responses, orNull(resp.Data))
		if len(req.responses) == req.numSub {
			req.finish()
		}
		return
	default:
		return
	}
	if req.msgCount == req.numSub {
		req.finish()
	}
}

func (r *request) finish() {
	if !r.finished {
		r.finished = true
		close(r.done)
	}
}

// startRequest registers a request before it is published, so that a fast response
// cannot be missed.
func (a *Adapter) startRequest(typ, numSub int) (string, *request) {
	id := uid6()
	r := &request{typ: typ, numSub: numSub, msgCount: 1, done: make(chan struct{}), start: time.Now()}
	a.reqMu.Lock()
	a.requests[id] = r
	a.reqMu.Unlock()
	return id, r
}

func (a *Adapter) endRequest(id string) {
	a.reqMu.Lock()
	delete(a.requests, id)
	a.reqMu.Unlock()
}

// await waits for r to complete, for RequestsTimeout, or for ctx, and reports how the
// request ended to the namespace.
func (a *Adapter) await(ctx context.Context, r *request, timeoutMsg func() string) (err error) {
	defer func() { a.ns.ObserveRequest(classicKinds[r.typ], time.Since(r.start), err) }()
	t := time.NewTimer(a.c.cfg.RequestsTimeout)
	defer t.Stop()
	select {
	case <-r.done:
		return nil
	case <-t.C:
		a.reqMu.Lock()
		defer a.reqMu.Unlock()
		if r.finished {
			return nil
		}
		return &timeoutError{timeoutMsg()}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// BroadcastWithAck implements adapter.Adapter. The other nodes report their client count
// and each acknowledgement until opts.Timeout (RequestsTimeout when zero) passes.
func (a *Adapter) BroadcastWithAck(p *adapter.Packet, opts adapter.BroadcastOptions, clientCount func(int), ack func(adapter.Ack)) error {
	if !opts.Local {
		id := uid6()
		var buf bytes.Buffer
		enc := msgpack.NewEncoder(&buf)
		_ = enc.EncodeMapLen(5)
		_ = enc.EncodeString("uid")
		_ = enc.EncodeString(a.uid)
		_ = enc.EncodeString("requestId")
		_ = enc.EncodeString(id)
		_ = enc.EncodeString("type")
		_ = enc.EncodeInt(typeBroadcast)
		_ = enc.EncodeString("packet")
		if err := encodePacket(enc, p, a.ns.Name(), true); err != nil {
			return err
		}
		_ = enc.EncodeString("opts")
		_ = encodeOpts(enc, opts, p.Volatile, true)

		// Registered before publishing: the echo of this request must be recognised.
		timeout := orDefault(opts.Timeout, a.c.cfg.RequestsTimeout)
		ar := &ackRequest{clientCount: clientCount, ack: ack}
		a.reqMu.Lock()
		a.ackRequests[id] = ar
		ar.timer = time.AfterFunc(timeout, func() {
			a.reqMu.Lock()
			delete(a.ackRequests, id)
			a.reqMu.Unlock()
		})
		a.reqMu.Unlock()
		start := time.Now()
		err := a.publish(a.requestChannel, buf.Bytes())
		a.ns.ObserveRequest(KindBroadcastAck, time.Since(start), err)
		if err != nil {
			a.reqMu.Lock()
			ar.timer.Stop()
			delete(a.ackRequests, id)
			a.reqMu.Unlock()
			return err
		}
	}
	return a.local.BroadcastWithAck(p, opts, clientCount, ack)
}

// FetchSockets implements adapter.Adapter: local sockets plus those of every other node.
func (a *Adapter) FetchSockets(ctx context.Context, opts adapter.BroadcastOptions) ([]adapter.SocketInfo, error) {
	local, _ := a.local.FetchSockets(ctx, opts)
	if opts.Local {
		return local, nil
	}
	numSub, err := a.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	if numSub <= 1 {
		return local, nil
	}
	id, r := a.startRequest(typeRemoteFetch, numSub)
	defer a.endRequest(id)
	r.sockets = local
	msg, _ := json.Marshal(map[string]any{
		"uid": a.uid, "requestId": id, "type": typeRemoteFetch,
		"opts": map[string][]string{"rooms": nonNil(opts.Rooms), "except": nonNil(opts.Except)},
	})
	if err := a.publish(a.requestChannel, msg); err != nil {
		return nil, err
	}
	if err := a.await(ctx, r, func() string { return "timeout reached while waiting for fetchSockets response" }); err != nil {
		return nil, err
	}
	a.reqMu.Lock()
	defer a.reqMu.Unlock()
	return r.sockets, nil
}

// AllRooms returns the rooms of every node, socket-id rooms included.
func (a *Adapter) AllRooms(ctx context.Context) ([]string, error) {
	local := a.local.Rooms()
	numSub, err := a.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	if numSub <= 1 {
		return local, nil
	}
	id, r := a.startRequest(typeAllRooms, numSub)
	defer a.endRequest(id)
	r.rooms = make(map[string]struct{}, len(local))
	for _, room := range local {
		r.rooms[room] = struct{}{}
	}
	msg, _ := json.Marshal(map[string]any{"uid": a.uid, "requestId": id, "type": typeAllRooms})
	if err := a.publish(a.requestChannel, msg); err != nil {
		return nil, err
	}
	if err := a.await(ctx, r, func() string { return "timeout reached while waiting for allRooms response" }); err != nil {
		return nil, err
	}
	a.reqMu.Lock()
	defer a.reqMu.Unlock()
	out := make([]string, 0, len(r.rooms))
	for room := range r.rooms {
		out = append(out, room)
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// remoteOp applies a join, leave or disconnect locally and publishes it for the other
// nodes (which ignore it when it comes back here).
func (a *Adapter) remoteOp(typ int, opts adapter.BroadcastOptions, fields map[string]any) {
	if opts.Local {
		return
	}
	fields["uid"] = a.uid
	fields["type"] = typ
	fields["opts"] = map[string][]string{"rooms": nonNil(opts.Rooms), "except": nonNil(opts.Except)}
	msg, _ := json.Marshal(fields)
	start := time.Now()
	err := a.publish(a.requestChannel, msg)
	a.ns.ObserveRequest(classicKinds[typ], time.Since(start), err)
	if err != nil {
		a.c.log.Warn("redis adapter: operation applied on this node only", "type", typ, "err", err)
	}
}

// AddSockets implements adapter.Adapter.
func (a *Adapter) AddSockets(opts adapter.BroadcastOptions, rooms []string) {
	a.local.AddSockets(opts, rooms)
	a.remoteOp(typeRemoteJoin, opts, map[string]any{"rooms": nonNil(rooms)})
}

// DelSockets implements adapter.Adapter.
func (a *Adapter) DelSockets(opts adapter.BroadcastOptions, rooms []string) {
	a.local.DelSockets(opts, rooms)
	a.remoteOp(typeRemoteLeave, opts, map[string]any{"rooms": nonNil(rooms)})
}

// DisconnectSockets implements adapter.Adapter.
func (a *Adapter) DisconnectSockets(opts adapter.BroadcastOptions, close bool) {
	a.local.DisconnectSockets(opts, close)
	a.remoteOp(typeRemoteDisconnect, opts, map[string]any{"close": close})
}

// ServerSideEmit implements adapter.Adapter.
func (a *Adapter) ServerSideEmit(args []json.RawMessage) error {
	msg, err := json.Marshal(map[string]any{"uid": a.uid, "type": typeServerSideEmit, "data": args})
	if err != nil {
		return err
	}
	return a.publish(a.requestChannel, msg)
}

// ServerSideEmitWithAck implements adapter.Adapter: one reply per other node, until
// RequestsTimeout (the error then says "timeout reached: only X responses received out
// of Y", as Node's) or ctx ends.
func (a *Adapter) ServerSideEmitWithAck(ctx context.Context, args []json.RawMessage) ([]json.RawMessage, error) {
	n, err := a.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	numSub := n - 1
	if numSub <= 0 {
		return []json.RawMessage{}, nil
	}
	id, r := a.startRequest(typeServerSideEmit, numSub)
	defer a.endRequest(id)
	msg, err := json.Marshal(map[string]any{"uid": a.uid, "requestId": id, "type": typeServerSideEmit, "data": args})
	if err != nil {
		return nil, err
	}
	if err := a.publish(a.requestChannel, msg); err != nil {
		return nil, err
	}
	err = a.await(ctx, r, func() string {
		return fmt.Sprintf("timeout reached: only %d responses received out of %d", len(r.responses), r.numSub)
	})
	a.reqMu.Lock()
	defer a.reqMu.Unlock()
	return append([]json.RawMessage{}, r.responses...), err
}

// ServerCount implements adapter.Adapter: the subscribers of the request channel
// (PUBSUB NUMSUB), one per node.
func (a *Adapter) ServerCount(ctx context.Context) (int, error) {
	if !a.c.sub.healthy.Load() {
		return 0, ErrUnavailable
	}
	n, err := numsub(ctx, a.c.client, a.requestChannel, false)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return max(n, 1), nil
}
