package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/sockgate/sockgate/adapter"
)

// The cluster protocol of socket.io-adapter's ClusterAdapter (≥ 2.5.4), shared by the
// sharded adapter and the streams adapter: messages {uid, nsp, type, data}, the sender
// applies its own operations locally, requests go to every node and responses to the
// requester only.

// Message types of the cluster protocol.
const (
	msgBroadcast              = 3
	msgSocketsJoin            = 4
	msgSocketsLeave           = 5
	msgDisconnectSockets      = 6
	msgFetchSockets           = 7
	msgFetchSocketsResponse   = 8
	msgServerSideEmit         = 9
	msgServerSideEmitResponse = 10
	msgBroadcastClientCount   = 11
	msgBroadcastAck           = 12
)

var clusterKinds = map[int]string{
	msgFetchSockets: KindFetchSockets, msgServerSideEmit: KindServerSideEmit,
	msgSocketsJoin: KindRemoteJoin, msgSocketsLeave: KindRemoteLeave, msgDisconnectSockets: KindRemoteDisconnect,
}

// clusterMessage is one message with its data as JSON; binary values are placeholders
// into atts.
type clusterMessage struct {
	UID  string
	Nsp  string
	Type int
	Data json.RawMessage
	Atts [][]byte
}

// mayHoldBinary lists the types whose data may carry binary values.
func mayHoldBinary(typ int) bool {
	switch typ {
	case msgBroadcast, msgBroadcastAck, msgFetchSocketsResponse, msgServerSideEmit, msgServerSideEmitResponse:
		return true
	}
	return false
}

// encodeJSON is JSON.stringify(message), valid when the data holds no binary.
func (m *clusterMessage) encodeJSON() []byte {
	b, _ := json.Marshal(struct {
		UID  string          `json:"uid"`
		Nsp  string          `json:"nsp"`
		Type int             `json:"type"`
		Data json.RawMessage `json:"data,omitempty"`
	}{m.UID, m.Nsp, m.Type, m.Data})
	return b
}

// encodeMsgpack writes the whole message as a msgpack map.
func (m *clusterMessage) encodeMsgpack() ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	n := 3
	if len(m.Data) > 0 {
		n = 4
	}
	_ = enc.EncodeMapLen(n)
	_ = enc.EncodeString("uid")
	_ = enc.EncodeString(m.UID)
	_ = enc.EncodeString("nsp")
	_ = enc.EncodeString(m.Nsp)
	_ = enc.EncodeString("type")
	_ = enc.EncodeInt(int64(m.Type))
	if len(m.Data) > 0 {
		_ = enc.EncodeString("data")
		if err := jsonToMsgpack(enc, m.Data, m.Atts); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// encodeData writes only the data as msgpack.
func (m *clusterMessage) encodeDataMsgpack() ([]byte, error) {
	var buf bytes.Buffer
	if err := jsonToMsgpack(msgpack.NewEncoder(&buf), m.Data, m.Atts); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeClusterMessage reads a whole message, JSON or msgpack.
func decodeClusterMessage(raw []byte) (*clusterMessage, error) {
	data, atts, err := decodeMessage(raw)
	if err != nil {
		return nil, err
	}
	var w struct {
		UID  string          `json:"uid"`
		Nsp  string          `json:"nsp"`
		Type json.Number     `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("redis adapter: malformed cluster message: %w", err)
	}
	typ, err := w.Type.Int64()
	if err != nil {
		return nil, fmt.Errorf("redis adapter: cluster message type %q", w.Type)
	}
	return &clusterMessage{UID: w.UID, Nsp: w.Nsp, Type: int(typ), Data: w.Data, Atts: atts}, nil
}

// clusterTransport is how a cluster-protocol adapter reaches the other nodes.
type clusterTransport interface {
	// publish sends a message to every node and returns its offset (the stream entry id
	// for the streams adapter, "" otherwise).
	publish(ctx context.Context, m *clusterMessage, b *adapter.BroadcastOptions, withAck bool) (string, error)
	// publishResponse sends a response to the node requesterUID.
	publishResponse(ctx context.Context, requesterUID string, m *clusterMessage) error
	serverCount(ctx context.Context) (int, error)
	healthy() bool
}

// clusterAdapter is the ClusterAdapter logic of one namespace over a transport.
type clusterAdapter struct {
	ns      adapter.Namespace
	local   localRooms
	uid     string
	t       clusterTransport
	log     *slog.Logger
	timeout time.Duration
	goFn    func(func()) // runs answers on counted goroutines

	// onLocalBroadcast, when set, delivers a broadcast locally in place of local.Broadcast
	// (the streams adapter adds offsets and keeps packets there).
	deliver func(p *adapter.Packet, opts adapter.BroadcastOptions, offset string)

	// reqMu guards requests and ackRequests.
	reqMu       sync.Mutex
	requests    map[string]*request
	ackRequests map[string]*ackRequest
}

func newClusterAdapter(ns adapter.Namespace, t clusterTransport, log *slog.Logger, timeout time.Duration, goFn func(func())) (*clusterAdapter, error) {
	mem, err := newLocal(ns)
	if err != nil {
		return nil, err
	}
	ca := &clusterAdapter{
		ns: ns, local: mem.(localRooms), uid: hexID(), t: t, log: log, timeout: timeout, goFn: goFn,
		requests:    make(map[string]*request),
		ackRequests: make(map[string]*ackRequest),
	}
	ca.deliver = func(p *adapter.Packet, opts adapter.BroadcastOptions, _ string) { _ = ca.local.Broadcast(p, opts) }
	return ca, nil
}

func (c *clusterAdapter) message(typ int, data any, atts [][]byte) *clusterMessage {
	var raw json.RawMessage
	if data != nil {
		raw, _ = json.Marshal(data)
	}
	return &clusterMessage{UID: c.uid, Nsp: c.ns.Name(), Type: typ, Data: raw, Atts: atts}
}

func (c *clusterAdapter) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.timeout)
}

// wireOptsOf is {rooms, except, flags} for the cluster protocol; volatile is that of the
// packet broadcast.
func wireOptsOf(opts adapter.BroadcastOptions, volatile bool) map[string]any {
	flags := map[string]any{}
	if volatile {
		flags["volatile"] = true
	}
	if opts.Timeout > 0 {
		flags["timeout"] = opts.Timeout.Milliseconds()
	}
	return map[string]any{"rooms": nonNil(opts.Rooms), "except": nonNil(opts.Except), "flags": flags}
}

// packetJSON is {type: 2, data} (no nsp: the message carries it).
type packetJSON struct {
	Type int             `json:"type"`
	Data json.RawMessage `json:"data"`
}

func (c *clusterAdapter) Broadcast(p *adapter.Packet, opts adapter.BroadcastOptions) error {
	if opts.Local {
		c.deliver(p, opts, "")
		return nil
	}
	m := c.message(msgBroadcast, map[string]any{"packet": packetJSON{2, p.Data}, "opts": wireOptsOf(opts, p.Volatile)}, p.Attachments)
	ctx, cancel := c.ctx()
	defer cancel()
	offset, err := c.t.publish(ctx, m, &opts, false)
	c.deliver(p, opts, offset)
	return err
}

func (c *clusterAdapter) BroadcastWithAck(p *adapter.Packet, opts adapter.BroadcastOptions, clientCount func(int), ack func(adapter.Ack)) error {
	if !opts.Local {
		id := hexID()
		ar := &ackRequest{clientCount: clientCount, ack: ack}
		c.reqMu.Lock()
		c.ackRequests[id] = ar
		ar.timer = time.AfterFunc(orDefault(opts.Timeout, c.timeout), func() {
			c.reqMu.Lock()
			delete(c.ackRequests, id)
			c.reqMu.Unlock()
		})
		c.reqMu.Unlock()
		m := c.message(msgBroadcast, map[string]any{"packet": packetJSON{2, p.Data}, "requestId": id, "opts": wireOptsOf(opts, p.Volatile)}, p.Attachments)
		ctx, cancel := c.ctx()
		start := time.Now()
		_, err := c.t.publish(ctx, m, &opts, true)
		cancel()
		c.ns.ObserveRequest(KindBroadcastAck, time.Since(start), err)
		if err != nil {
			c.reqMu.Lock()
			ar.timer.Stop()
			delete(c.ackRequests, id)
			c.reqMu.Unlock()
			return err
		}
	}
	return c.local.BroadcastWithAck(p, opts, clientCount, ack)
}

func (c *clusterAdapter) op(typ int, opts adapter.BroadcastOptions, data map[string]any) {
	if opts.Local {
		return
	}
	data["opts"] = wireOptsOf(adapter.BroadcastOptions{Rooms: opts.Rooms, Except: opts.Except}, false)
	ctx, cancel := c.ctx()
	defer cancel()
	start := time.Now()
	_, err := c.t.publish(ctx, c.message(typ, data, nil), nil, false)
	c.ns.ObserveRequest(clusterKinds[typ], time.Since(start), err)
	if err != nil {
		c.log.Warn("redis adapter: operation applied on this node only", "type", typ, "err", err)
	}
}

func (c *clusterAdapter) AddSockets(opts adapter.BroadcastOptions, rooms []string) {
	c.op(msgSocketsJoin, opts, map[string]any{"rooms": nonNil(rooms)})
	c.local.AddSockets(opts, rooms)
}

func (c *clusterAdapter) DelSockets(opts adapter.BroadcastOptions, rooms []string) {
	c.op(msgSocketsLeave, opts, map[string]any{"rooms": nonNil(rooms)})
	c.local.DelSockets(opts, rooms)
}

func (c *clusterAdapter) DisconnectSockets(opts adapter.BroadcastOptions, closeConn bool) {
	c.op(msgDisconnectSockets, opts, map[string]any{"close": closeConn})
	c.local.DisconnectSockets(opts, closeConn)
}

func (c *clusterAdapter) ServerCount(ctx context.Context) (int, error) {
	if !c.t.healthy() {
		return 0, ErrUnavailable
	}
	n, err := c.t.serverCount(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return max(n, 1), nil
}

func (c *clusterAdapter) startRequest(typ, expected int) (string, *request) {
	id := hexID()
	r := &request{typ: typ, numSub: expected, done: make(chan struct{}), start: time.Now()}
	c.reqMu.Lock()
	c.requests[id] = r
	c.reqMu.Unlock()
	return id, r
}

func (c *clusterAdapter) endRequest(id string) {
	c.reqMu.Lock()
	delete(c.requests, id)
	c.reqMu.Unlock()
}

func (c *clusterAdapter) await(ctx context.Context, r *request, timeout time.Duration) (err error) {
	defer func() { c.ns.ObserveRequest(clusterKinds[r.typ], time.Since(r.start), err) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-r.done:
		return nil
	case <-t.C:
		c.reqMu.Lock()
		defer c.reqMu.Unlock()
		if r.finished {
			return nil
		}
		return &timeoutError{fmt.Sprintf("timeout reached: only %d responses received out of %d", r.msgCount, r.numSub)}
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *clusterAdapter) FetchSockets(ctx context.Context, opts adapter.BroadcastOptions) ([]adapter.SocketInfo, error) {
	local, _ := c.local.FetchSockets(ctx, opts)
	if opts.Local {
		return local, nil
	}
	n, err := c.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	if n-1 <= 0 {
		return local, nil
	}
	id, r := c.startRequest(msgFetchSockets, n-1)
	defer c.endRequest(id)
	r.sockets = local
	m := c.message(msgFetchSockets, map[string]any{"opts": wireOptsOf(opts, false), "requestId": id}, nil)
	pctx, cancel := c.ctx()
	_, err = c.t.publish(pctx, m, nil, true)
	cancel()
	if err != nil {
		return nil, err
	}
	if err := c.await(ctx, r, orDefault(opts.Timeout, c.timeout)); err != nil {
		return nil, err
	}
	c.reqMu.Lock()
	defer c.reqMu.Unlock()
	return r.sockets, nil
}

func (c *clusterAdapter) ServerSideEmit(args []json.RawMessage) error {
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := c.t.publish(ctx, c.message(msgServerSideEmit, map[string]any{"packet": args}, nil), nil, true)
	return err
}

func (c *clusterAdapter) ServerSideEmitWithAck(ctx context.Context, args []json.RawMessage) ([]json.RawMessage, error) {
	n, err := c.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	if n-1 <= 0 {
		return []json.RawMessage{}, nil
	}
	id, r := c.startRequest(msgServerSideEmit, n-1)
	defer c.endRequest(id)
	pctx, cancel := c.ctx()
	_, err = c.t.publish(pctx, c.message(msgServerSideEmit, map[string]any{"requestId": id, "packet": args}, nil), nil, true)
	cancel()
	if err != nil {
		return nil, err
	}
	err = c.await(ctx, r, c.timeout)
	c.reqMu.Lock()
	defer c.reqMu.Unlock()
	return append([]json.RawMessage{}, r.responses...), err
}

// onMessage handles a message from any node; offset is its stream entry id, if any.
func (c *clusterAdapter) onMessage(m *clusterMessage, offset string) {
	if m.UID == c.uid || m.Nsp != c.ns.Name() {
		return
	}
	var d struct {
		Packet    json.RawMessage `json:"packet"`
		Opts      *wireOpts       `json:"opts"`
		RequestID json.RawMessage `json:"requestId"`
		Rooms     json.RawMessage `json:"rooms"`
		Close     bool            `json:"close"`
	}
	if len(m.Data) > 0 && json.Unmarshal(m.Data, &d) != nil {
		return
	}
	switch m.Type {
	case msgBroadcast:
		var wp wirePacket
		if json.Unmarshal(d.Packet, &wp) != nil {
			return
		}
		p := wp.packet(c.ns.Name(), m.Atts, false)
		if p == nil {
			return
		}
		opts := d.Opts.options()
		if len(d.RequestID) == 0 {
			p.Volatile = d.Opts.volatile()
			opts.Timeout = 0
			c.deliver(p, opts, offset)
			return
		}
		requester, reqID := m.UID, d.RequestID
		c.goFn(func() {
			p.ID, p.HasID = c.ns.NewAckID(), true
			opts.Timeout = 0
			_ = c.local.BroadcastWithAck(p, opts,
				func(n int) {
					c.respond(requester, msgBroadcastClientCount, map[string]any{"requestId": reqID, "clientCount": n}, nil)
				},
				func(a adapter.Ack) {
					if a.Err == nil {
						c.respond(requester, msgBroadcastAck, map[string]any{"requestId": reqID, "packet": firstArg(a.Data)}, a.Attachments)
					}
				})
		})
	case msgSocketsJoin:
		c.local.AddSockets(d.Opts.options(), roomList(d.Rooms))
	case msgSocketsLeave:
		c.local.DelSockets(d.Opts.options(), roomList(d.Rooms))
	case msgDisconnectSockets:
		c.local.DisconnectSockets(d.Opts.options(), d.Close)
	case msgFetchSockets:
		requester, reqID := m.UID, d.RequestID
		opts := d.Opts.options()
		c.goFn(func() {
			infos, _ := c.local.FetchSockets(context.Background(), opts)
			socks := make([]wireSocket, len(infos))
			for i, info := range infos {
				socks[i] = toWireSocket(info)
			}
			c.respond(requester, msgFetchSocketsResponse, map[string]any{"requestId": reqID, "sockets": socks}, nil)
		})
	case msgServerSideEmit:
		var args []json.RawMessage
		if json.Unmarshal(d.Packet, &args) != nil || len(args) == 0 {
			return
		}
		var reply func(json.RawMessage)
		if len(d.RequestID) > 0 {
			requester, reqID := m.UID, d.RequestID
			reply = func(v json.RawMessage) {
				c.respond(requester, msgServerSideEmitResponse, map[string]any{"requestId": reqID, "packet": orNull(v)}, nil)
			}
		}
		c.goFn(func() { c.ns.DispatchServerSideEmit(args, reply) })
	case msgFetchSocketsResponse, msgServerSideEmitResponse, msgBroadcastClientCount, msgBroadcastAck:
		c.onResponse(m)
	}
}

func (c *clusterAdapter) respond(requester string, typ int, data map[string]any, atts [][]byte) {
	ctx, cancel := c.ctx()
	defer cancel()
	if err := c.t.publishResponse(ctx, requester, c.message(typ, data, atts)); err != nil {
		c.log.Warn("redis adapter: response lost", "type", typ, "err", err)
	}
}

func (c *clusterAdapter) onResponse(m *clusterMessage) {
	var d struct {
		RequestID   json.RawMessage `json:"requestId"`
		ClientCount *float64        `json:"clientCount"`
		Packet      json.RawMessage `json:"packet"`
		Sockets     []wireSocket    `json:"sockets"`
	}
	if json.Unmarshal(m.Data, &d) != nil || len(d.RequestID) == 0 {
		return
	}
	key := idKey(d.RequestID)
	c.reqMu.Lock()
	switch m.Type {
	case msgBroadcastClientCount, msgBroadcastAck:
		ar := c.ackRequests[key]
		c.reqMu.Unlock()
		if ar == nil {
			return
		}
		if m.Type == msgBroadcastClientCount {
			if d.ClientCount != nil {
				ar.clientCount(int(*d.ClientCount))
			}
		} else {
			ar.ack(adapter.Ack{Data: json.RawMessage("[" + string(orNull(d.Packet)) + "]"), Attachments: m.Atts})
		}
		return
	}
	defer c.reqMu.Unlock()
	r := c.requests[key]
	if r == nil || r.finished {
		return
	}
	r.msgCount++
	switch m.Type {
	case msgFetchSocketsResponse:
		if r.typ != msgFetchSockets {
			return
		}
		for _, s := range d.Sockets {
			r.sockets = append(r.sockets, s.info())
		}
	case msgServerSideEmitResponse:
		if r.typ != msgServerSideEmit {
			return
		}
		r.responses = append(r.responses, orNull(d.Packet))
	}
	if r.msgCount == r.numSub {
		r.finish()
	}
}

func (c *clusterAdapter) close() {
	c.reqMu.Lock()
	defer c.reqMu.Unlock()
	for id, r := range c.ackRequests {
		r.timer.Stop()
		delete(c.ackRequests, id)
	}
}
