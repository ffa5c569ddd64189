package adapter

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/sockgate/sockgate/internal/adapterpacket"
	"github.com/sockgate/sockgate/internal/engineio"
	"github.com/sockgate/sockgate/internal/socketio"
	"github.com/sockgate/sockgate/internal/wire"
)

// Adapter keeps the rooms of one namespace and reaches its sockets, locally and, for cluster
// adapters, on the other nodes.
type Adapter interface {
	// Init starts the adapter (subscriptions, background work). The namespace calls it once,
	// before the first socket joins.
	Init(ctx context.Context) error
	// Close releases what Init acquired. No method is called after Close.
	Close() error

	// AddAll registers a local socket (on first call) and adds it to rooms.
	AddAll(s Socket, rooms ...string)
	// Del removes a local socket from one room.
	Del(s Socket, room string)
	// DelAll removes a local socket from every room and forgets it.
	DelAll(s Socket)
	// SocketRooms lists the rooms of a local socket, its own id first.
	SocketRooms(id string) []string

	// Broadcast delivers p to the sockets selected by opts, locally and, unless
	// opts.Local, on the other nodes.
	Broadcast(p *Packet, opts BroadcastOptions) error
	// BroadcastWithAck is Broadcast where every recipient is asked for an ack. clientCount
	// is called once per node with the number of sockets reached there, ack once per
	// acknowledgement received. The caller decides when it has heard enough and owns the
	// timeout.
	BroadcastWithAck(p *Packet, opts BroadcastOptions, clientCount func(n int), ack func(Ack)) error

	// Sockets returns the ids of the local sockets selected by opts.
	Sockets(opts BroadcastOptions) []string
	// FetchSockets returns the sockets selected by opts on every node.
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]SocketInfo, error)
	// AddSockets makes the selected sockets, on every node, join rooms.
	AddSockets(opts BroadcastOptions, rooms []string)
	// DelSockets makes the selected sockets, on every node, leave rooms.
	DelSockets(opts BroadcastOptions, rooms []string)
	// DisconnectSockets disconnects the selected sockets on every node.
	DisconnectSockets(opts BroadcastOptions, close bool)
	// ServerSideEmit sends an event (args[0] is the event name) to the namespaces of the
	// same name on the other nodes.
	ServerSideEmit(args []json.RawMessage) error
	// ServerSideEmitWithAck is ServerSideEmit awaiting one reply per other node until ctx
	// ends; on timeout it returns the replies received so far with an error.
	ServerSideEmitWithAck(ctx context.Context, args []json.RawMessage) ([]json.RawMessage, error)
	// ServerCount is the number of nodes sharing this namespace, this one included.
	ServerCount(ctx context.Context) (int, error)
}

// Factory builds the adapter of one namespace. ns gives the adapter access to the
// namespace's name and to server-side events arriving from other nodes.
type Factory func(ns Namespace) (Adapter, error)

// Namespace is what an adapter may ask of the namespace it serves.
type Namespace interface {
	Name() string
	// DispatchServerSideEmit handles an event sent by another node with ServerSideEmit
	// (args[0] is the event name). reply is nil when the sender expects no acknowledgement.
	DispatchServerSideEmit(args []json.RawMessage, reply func(json.RawMessage))
	// NewAckID returns a fresh ack id of the namespace. Cluster adapters number with it
	// the broadcasts with acks that other nodes ask them to deliver, so that they never
	// collide with the namespace's own.
	NewAckID() int64
	// ObserveRequest reports, for metrics, a request the adapter sent to the other nodes
	// (fetching sockets, a remote join, a server-side emit with acks, ...): its kind, from
	// a small fixed set the adapter documents (it becomes a metric label), how long it
	// took, and the error that ended it, nil on success. It is quick and never blocks.
	// Adapters that send no requests never call it.
	ObserveRequest(kind string, d time.Duration, err error)
	// Recovery is the namespace's connection state recovery configuration, zero when
	// recovery is off. Adapters read it in their Factory; see SessionStore.
	Recovery() Recovery
}

// Socket is a local socket as an adapter sees it.
type Socket interface {
	ID() string
	// Deliver queues p for the socket's connection, or drops it when p.Volatile and the
	// connection cannot take it right now. It never blocks and may be called with the
	// adapter's locks held.
	Deliver(p *Packet)
	// DeliverWithAck registers ack for p.ID on the socket, then delivers p. ack is called at
	// most once: with the client's reply, or with an Ack carrying Err when the socket goes
	// away first.
	DeliverWithAck(p *Packet, ack func(Ack))
	// Info describes the socket for FetchSockets.
	Info() SocketInfo
	// Join, Leave and Disconnect serve the cluster-wide operations. The adapter calls them
	// without holding its locks.
	Join(rooms ...string)
	Leave(room string)
	Disconnect(close bool)
}

// BroadcastOptions selects recipients: sockets in any of Rooms (every socket when empty),
// minus sockets in any of Except. A socket id is also a room holding just that socket.
// Local and Timeout say how far an operation goes and how long a broadcast with acks
// waits; whether a recipient may miss a packet is the packet's own Volatile.
type BroadcastOptions struct {
	Rooms  []string
	Except []string
	// Local keeps the operation on this node.
	Local bool
	// Timeout bounds a broadcast with acks (zero: none). Cluster adapters forward it.
	Timeout time.Duration
}

// Ack is one acknowledgement: the ACK packet's argument array as raw JSON, with its binary
// attachments, or the error that ended the wait for it.
type Ack struct {
	Data        json.RawMessage
	Attachments [][]byte
	Err         error
}

// SocketInfo describes a socket that may live on another node.
type SocketInfo struct {
	ID        string          `json:"id"`
	Handshake Handshake       `json:"handshake"`
	Rooms     []string        `json:"rooms"`
	Data      json.RawMessage `json:"data"`
}

// Handshake is what a socket was opened with. Its JSON form is the one Node socket.io
// exchanges between nodes.
type Handshake struct {
	Headers http.Header `json:"-"`
	// Time is when the Engine.IO session was opened.
	Time    time.Time       `json:"-"`
	Address string          `json:"address"`
	XDomain bool            `json:"xdomain"`
	Secure  bool            `json:"secure"`
	URL     string          `json:"url"`
	Query   url.Values      `json:"-"`
	Auth    json.RawMessage `json:"auth"`
}

// Packet is a Socket.IO EVENT to deliver to many sockets, built as a composite literal
// (&adapter.Packet{Namespace: "/", Data: data}). Once handed to an adapter it is read-only
// and shared; it must not be copied, since it keeps its encoded form for every recipient.
type Packet struct {
	Namespace string
	// Data is the packet's JSON array, `["event",...args]`, with binary values replaced by
	// placeholders.
	Data        json.RawMessage
	Attachments [][]byte
	// ID is the ack id for broadcasts with acks; HasID says whether one is set.
	ID    int64
	HasID bool
	// Offset is the connection state recovery offset the packet carries as its last
	// argument (see WithOffset); empty when it carries none.
	Offset string
	// Volatile lets the packet be dropped for recipients whose connection cannot take it
	// right now (socket.io's volatile flag).
	Volatile bool

	once sync.Once
	msgs []*engineio.Message
}

func init() { adapterpacket.Messages = (*Packet).messages }

// messages returns the Engine.IO messages that carry p: the text packet followed by one
// binary message per attachment. They are built on the first call and shared afterwards.
// The server reaches it through adapterpacket.Messages, so that no exported method names an
// internal type.
func (p *Packet) messages() []*engineio.Message {
	p.once.Do(func() {
		typ := socketio.Event
		if len(p.Attachments) > 0 {
			typ = socketio.BinaryEvent
		}
		sp := socketio.Packet{
			Type:        typ,
			Namespace:   p.Namespace,
			ID:          p.ID,
			HasID:       p.HasID,
			Data:        p.Data,
			Attachments: p.Attachments,
		}
		p.msgs = wire.Messages(&sp)
	})
	return p.msgs
}
