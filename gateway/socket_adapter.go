package gateway

import (
	"encoding/json"
	"sync"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/internal/adapterpacket"
	"github.com/sockgate/sockgate/internal/engineio"
)

// packetMessages returns the shared encoded messages of a broadcast packet.
var packetMessagesOf = adapterpacket.Messages.(func(*adapter.Packet) []*engineio.Message)

// adapterSocket is the face a socket shows its namespace's adapter. It keeps the methods
// adapters need off the Socket that applications hold.
type adapterSocket struct{ s *Socket }

var _ adapter.Socket = adapterSocket{}

func (a adapterSocket) ID() string { return a.s.id }

// Deliver queues an encoded packet for the socket's connection.
func (a adapterSocket) Deliver(p *adapter.Packet) { a.s.deliver(p) }

// DeliverWithAck registers ack for p.ID and delivers p.
func (a adapterSocket) DeliverWithAck(p *adapter.Packet, ack func(adapter.Ack)) {
	a.s.deliverWithAck(p, ack)
}

// Info describes the socket for FetchSockets.
func (a adapterSocket) Info() adapter.SocketInfo {
	s := a.s
	data, err := json.Marshal(s.Data())
	if err != nil {
		data = json.RawMessage("null")
	}
	return adapter.SocketInfo{ID: s.id, Handshake: s.handshake, Rooms: s.Rooms(), Data: data}
}

func (a adapterSocket) Join(rooms ...string) { a.s.Join(rooms...) }
func (a adapterSocket) Leave(room string)    { a.s.Leave(room) }

func (a adapterSocket) Disconnect(closeConn bool) {
	if closeConn {
		a.s.CloseConnection()
	} else {
		a.s.Disconnect()
	}
}

func (s *Socket) deliver(p *adapter.Packet) {
	s.send(packetMessagesOf(p), p.Volatile)
}

func (s *Socket) deliverWithAck(p *adapter.Packet, ack func(adapter.Ack)) {
	s.nsp.srv.active.add(1)
	var once sync.Once
	wrapped := func(a adapter.Ack) {
		once.Do(func() {
			ack(a)
			s.nsp.srv.active.add(-1)
		})
	}
	s.mu.Lock()
	if s.state.Load() == stateClosed {
		s.mu.Unlock()
		wrapped(adapter.Ack{Err: ErrDisconnected})
		return
	}
	if s.acks == nil {
		s.acks = make(map[int64]func(adapter.Ack), 1)
	}
	s.acks[p.ID] = wrapped
	s.mu.Unlock()
	s.deliver(p)
}
