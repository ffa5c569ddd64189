package gateway

import (
	"encoding/json"
	"sync"

	"github.com/sockgate/sockgate/adapter"
)

var _ adapter.Socket = (*Socket)(nil)

// Deliver queues an encoded packet for the socket's connection; see adapter.Socket.
func (s *Socket) Deliver(p *adapter.Packet, flags adapter.Flags) {
	s.send(p.Messages(), flags.Volatile)
}

// DeliverWithAck registers ack for p.ID and delivers p; see adapter.Socket.
func (s *Socket) DeliverWithAck(p *adapter.Packet, flags adapter.Flags, ack func(adapter.Ack)) {
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
	s.Deliver(p, flags)
}

// Info describes the socket for FetchSockets; see adapter.Socket.
func (s *Socket) Info() adapter.SocketInfo {
	data, err := json.Marshal(s.Data())
	if err != nil {
		data = json.RawMessage("null")
	}
	return adapter.SocketInfo{ID: s.id, Handshake: s.handshake, Rooms: s.Rooms(), Data: data}
}
