package adapter

import (
	"context"
	"encoding/json"
	"sync"
)

// memory is the single-process adapter that NewMemory returns.
//
// A socket's own id is not stored as a room: a room lookup also visits the socket with that
// id, which saves two map entries per connection. Other sockets may still join a room named
// after a socket id; the room then reaches them and that socket, as in Node.
type memory struct {
	nsp Namespace
	rec *recovery // nil when connection state recovery is off

	// mu guards sockets and rooms. Broadcasts hold it for reading while they deliver.
	mu      sync.RWMutex
	sockets map[string]*member
	rooms   map[string]map[string]Socket
}

type member struct {
	s     Socket
	rooms map[string]struct{}
}

var _ Adapter = (*memory)(nil)

// NewMemory returns the in-memory adapter of ns, the single-process adapter: rooms live in
// maps, broadcasts reach local sockets only. It is a Factory. It implements SessionStore:
// when ns.Recovery() is enabled it keeps lost sessions and the packets they may miss in
// memory, within the bounds of the Recovery. Its Rooms() []string method lists every room
// with a local member, socket-id rooms included, for cluster adapters that keep their local
// rooms in it.
func NewMemory(ns Namespace) (Adapter, error) {
	m := &memory{
		nsp:     ns,
		sockets: make(map[string]*member),
		rooms:   make(map[string]map[string]Socket),
	}
	if rc := ns.Recovery(); rc.Enabled() {
		m.rec = newRecovery(rc)
	}
	return m, nil
}

// Init does nothing for the in-memory adapter.
func (m *memory) Init(context.Context) error { return nil }

// Close releases the sessions and packets kept for connection state recovery.
func (m *memory) Close() error {
	if m.rec != nil {
		m.rec.close()
	}
	return nil
}

// AddAll implements Adapter.
func (m *memory) AddAll(s Socket, rooms ...string) {
	id := s.ID()
	if r := m.rec; r != nil && r.restoring.Load() > 0 {
		// A restored socket gets the packets broadcast since its restore before any later
		// one: no recoverable broadcast runs while r.mu is held.
		r.mu.Lock()
		defer r.mu.Unlock()
		if pr := r.takePendingLocked(id); pr != nil {
			defer func() {
				for _, p := range pr.packets {
					s.Deliver(p)
				}
			}()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mb := m.sockets[id]
	if mb == nil {
		mb = &member{s: s}
		m.sockets[id] = mb
	}
	for _, r := range rooms {
		if r == id {
			continue
		}
		if mb.rooms == nil {
			mb.rooms = make(map[string]struct{}, 1)
		}
		mb.rooms[r] = struct{}{}
		set := m.rooms[r]
		if set == nil {
			set = make(map[string]Socket, 1)
			m.rooms[r] = set
		}
		set[id] = s
	}
}

// Del implements Adapter.
func (m *memory) Del(s Socket, room string) {
	id := s.ID()
	m.mu.Lock()
	defer m.mu.Unlock()
	if mb := m.sockets[id]; mb != nil {
		delete(mb.rooms, room)
	}
	m.delFromRoomLocked(id, room)
}

func (m *memory) delFromRoomLocked(id, room string) {
	if set := m.rooms[room]; set != nil {
		delete(set, id)
		if len(set) == 0 {
			delete(m.rooms, room)
		}
	}
}

// DelAll implements Adapter.
func (m *memory) DelAll(s Socket) {
	id := s.ID()
	if r := m.rec; r != nil && r.restoring.Load() > 0 {
		r.mu.Lock()
		r.takePendingLocked(id)
		r.mu.Unlock()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mb := m.sockets[id]
	if mb == nil {
		return
	}
	for r := range mb.rooms {
		m.delFromRoomLocked(id, r)
	}
	delete(m.sockets, id)
}

// SocketRooms implements Adapter.
func (m *memory) SocketRooms(id string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	mb := m.sockets[id]
	if mb == nil {
		return nil
	}
	out := make([]string, 0, 1+len(mb.rooms))
	out = append(out, id)
	for r := range mb.rooms {
		out = append(out, r)
	}
	return out
}

// Rooms lists every room with a local member, socket-id rooms included (Node's
// adapter.rooms keys), for the all-rooms requests of cluster adapters.
func (m *memory) Rooms() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.rooms)+len(m.sockets))
	for r := range m.rooms {
		out = append(out, r)
	}
	for id := range m.sockets {
		if _, dup := m.rooms[id]; !dup {
			out = append(out, id)
		}
	}
	return out
}

// Broadcast implements Adapter.
func (m *memory) Broadcast(p *Packet, opts BroadcastOptions) error {
	if r := m.rec; r != nil && p.Recoverable() {
		r.mu.Lock()
		defer r.mu.Unlock()
		p = r.keepLocked(p, opts)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.applyLocked(opts, func(s Socket) { s.Deliver(p) })
	return nil
}

// BroadcastWithAck implements Adapter.
func (m *memory) BroadcastWithAck(p *Packet, opts BroadcastOptions, clientCount func(int), ack func(Ack)) error {
	// Collect first: an ack may arrive (and the caller may finish) before delivery ends, and
	// the count must be known before the first ack is reported.
	targets := m.collect(opts)
	clientCount(len(targets))
	for _, s := range targets {
		s.DeliverWithAck(p, ack)
	}
	return nil
}

// Sockets implements Adapter.
func (m *memory) Sockets(opts BroadcastOptions) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var ids []string
	m.applyLocked(opts, func(s Socket) { ids = append(ids, s.ID()) })
	return ids
}

// FetchSockets implements Adapter.
func (m *memory) FetchSockets(_ context.Context, opts BroadcastOptions) ([]SocketInfo, error) {
	targets := m.collect(opts)
	out := make([]SocketInfo, 0, len(targets))
	for _, s := range targets {
		out = append(out, s.Info())
	}
	return out, nil
}

// AddSockets implements Adapter.
func (m *memory) AddSockets(opts BroadcastOptions, rooms []string) {
	for _, s := range m.collect(opts) {
		s.Join(rooms...)
	}
}

// DelSockets implements Adapter.
func (m *memory) DelSockets(opts BroadcastOptions, rooms []string) {
	for _, s := range m.collect(opts) {
		for _, r := range rooms {
			s.Leave(r)
		}
	}
}

// DisconnectSockets implements Adapter.
func (m *memory) DisconnectSockets(opts BroadcastOptions, close bool) {
	for _, s := range m.collect(opts) {
		s.Disconnect(close)
	}
}

// ServerSideEmit implements Adapter: with one node there is nobody to tell.
func (m *memory) ServerSideEmit([]json.RawMessage) error { return nil }

// ServerSideEmitWithAck implements Adapter: with one node no reply is awaited.
func (m *memory) ServerSideEmitWithAck(context.Context, []json.RawMessage) ([]json.RawMessage, error) {
	return nil, nil
}

// ServerCount implements Adapter.
func (m *memory) ServerCount(context.Context) (int, error) { return 1, nil }

func (m *memory) collect(opts BroadcastOptions) []Socket {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Socket
	m.applyLocked(opts, func(s Socket) { out = append(out, s) })
	return out
}

// applyLocked calls fn once for every local socket selected by opts. m.mu must be held.
func (m *memory) applyLocked(opts BroadcastOptions, fn func(Socket)) {
	except := m.exceptLocked(opts.Except)
	if len(opts.Rooms) == 0 {
		for id, mb := range m.sockets {
			if !except.has(id) {
				fn(mb.s)
			}
		}
		return
	}
	if len(opts.Rooms) == 1 {
		// One room needs no de-duplication.
		m.eachInRoomLocked(opts.Rooms[0], func(id string, s Socket) {
			if !except.has(id) {
				fn(s)
			}
		})
		return
	}
	seen := make(map[string]struct{})
	for _, r := range opts.Rooms {
		m.eachInRoomLocked(r, func(id string, s Socket) {
			if _, dup := seen[id]; dup || except.has(id) {
				return
			}
			seen[id] = struct{}{}
			fn(s)
		})
	}
}

// eachInRoomLocked visits the members of room once each. A room name that is a socket id
// always holds that socket, besides the sockets that joined a room of that name (AddAll
// never stores a socket in its own id room, so the two sets do not overlap).
func (m *memory) eachInRoomLocked(room string, fn func(string, Socket)) {
	for id, s := range m.rooms[room] {
		fn(id, s)
	}
	if mb := m.sockets[room]; mb != nil {
		fn(room, mb.s)
	}
}

// exceptSet is the set of socket ids to skip. The common cases, nothing and a single
// socket id (socket.broadcast), need no map.
type exceptSet struct {
	one string
	ids map[string]struct{}
	on  bool
}

func (e exceptSet) has(id string) bool {
	if !e.on {
		return false
	}
	if e.ids != nil {
		_, ok := e.ids[id]
		return ok
	}
	return e.one == id
}

func (m *memory) exceptLocked(rooms []string) exceptSet {
	if len(rooms) == 0 {
		return exceptSet{}
	}
	if len(rooms) == 1 {
		if _, isRoom := m.rooms[rooms[0]]; !isRoom {
			return exceptSet{one: rooms[0], on: true}
		}
	}
	ids := make(map[string]struct{})
	for _, r := range rooms {
		m.eachInRoomLocked(r, func(id string, _ Socket) { ids[id] = struct{}{} })
		ids[r] = struct{}{} // a socket id given directly
	}
	return exceptSet{ids: ids, on: true}
}
