package gateway

import (
	"encoding/json"
	"time"

	"github.com/sockgate/sockgate/adapter"
)

// ConnectionStateRecovery configures connection state recovery, socket.io 4.6's feature:
// when a client's connection is lost (not when it or the server disconnects on purpose),
// the server keeps the socket's id, rooms and data, and the packets broadcast since, for
// MaxDisconnectionDuration. When the client reconnects in time, with the private session
// id and the offset of the last packet it handled (socket.io-client sends both by
// itself), it gets the same socket back, then every packet it missed, once and in order,
// and Socket.Recovered reports true.
//
// The namespace's adapter keeps the state: the in-memory adapter on one node, an adapter
// implementing adapter.SessionStore (a Redis streams adapter) across nodes. With another
// adapter recovery stays off for the namespace, and a warning is logged.
//
// Only the socket's Data is kept, as socket.io keeps socket.data; values under a Key are
// not, and the guards that set them run again.
//
// As in socket.io, the packets kept and replayed are the events sent without an
// acknowledgement and not volatile, by a broadcast or by Socket.Emit; each carries an
// opaque offset as its last argument, which client handlers see. Acknowledgements,
// events sent with EmitWithAck, and "exception" events are not kept.
type ConnectionStateRecovery struct {
	// MaxDisconnectionDuration is how long a lost socket and the packets it may miss are
	// kept. Zero: recovery is off.
	MaxDisconnectionDuration time.Duration
	// RunMiddlewares runs the middleware (Use) for a recovered socket too. Zero: a
	// recovered socket skips it, as socket.io's default skipMiddlewares: true does. The
	// handshake guards and OnGatewayConnect hooks of gateways (a JWT guard checks the token
	// again) and the OnConnection handlers run either way; Socket.Recovered tells them apart.
	RunMiddlewares bool
	// MaxSessions bounds the sessions kept per namespace; the oldest goes first. Zero:
	// 10,000.
	MaxSessions int
	// MaxPackets bounds the packets kept per namespace; the oldest goes first, and a
	// session that missed it can no longer recover (its client gets a new socket). Zero:
	// 10,000.
	MaxPackets int
	// MaxPacketBytes bounds the bytes of the packets kept per namespace, likewise. Zero:
	// 64 MiB.
	MaxPacketBytes int64
}

func (r ConnectionStateRecovery) adapterConfig() adapter.Recovery {
	return adapter.Recovery{
		MaxDisconnectionDuration: r.MaxDisconnectionDuration,
		MaxSessions:              r.MaxSessions,
		MaxPackets:               r.MaxPackets,
		MaxPacketBytes:           r.MaxPacketBytes,
	}.WithDefaults()
}

// Recovery tells the adapter the server's recovery configuration; see
// adapter.Namespace.
func (v adapterView) Recovery() adapter.Recovery {
	rc := v.n.srv.cfg.ConnectionStateRecovery
	if rc.MaxDisconnectionDuration <= 0 {
		return adapter.Recovery{}
	}
	return rc.adapterConfig()
}

var _ adapter.Namespace = adapterView{}

// Recovered reports whether the socket is a recovered one: same id, rooms and data as
// before its connection was lost, the missed packets replayed.
func (s *Socket) Recovered() bool { return s.recovered }

// recoverableReason reports whether a socket that disconnects for reason keeps its
// session (socket.io's list): lost connections and server shutdown, not disconnections
// asked for by the client or the server.
func recoverableReason(r DisconnectReason) bool {
	switch r {
	case ReasonTransportError, ReasonTransportClose, ReasonForcedClose, ReasonPingTimeout,
		ReasonServerShuttingDown, ReasonForcedServerClose:
		return true
	}
	return false
}

// restore tries to recover the session named in the CONNECT auth payload. It runs in the
// connect job, before the socket is registered anywhere; on success the socket has the
// session's id, pid and data, the missed packets are queued (they follow the CONNECT
// reply) and the session's rooms are returned.
func (s *Socket) restore(st adapter.SessionStore) ([]string, bool) {
	var auth struct {
		PID    json.RawMessage `json:"pid"`
		Offset json.RawMessage `json:"offset"`
	}
	if json.Unmarshal(s.handshake.Auth, &auth) != nil {
		return nil, false
	}
	var pid, offset string
	if !isJSONString(auth.PID) || !isJSONString(auth.Offset) ||
		json.Unmarshal(auth.PID, &pid) != nil || json.Unmarshal(auth.Offset, &offset) != nil {
		return nil, false
	}
	sess, err := st.RestoreSession(s.Context(), pid, offset)
	if err != nil {
		s.nsp.srv.logger.Warn("gateway: restoring a session failed", "namespace", s.nsp.name, "err", err)
		return nil, false
	}
	if sess == nil {
		return nil, false
	}
	s.mu.Lock()
	closed := s.state.Load() == stateClosed
	if !closed {
		s.id, s.pid, s.data, s.recovered = sess.SID, sess.PID, sess.Data, true
	}
	s.mu.Unlock()
	if closed {
		// The connection closed during the restore: let the adapter drop what it holds
		// for the session's socket.
		s.nsp.adapter.DelAll(lostSocket{id: sess.SID})
		return nil, false
	}
	for _, p := range sess.MissedPackets {
		s.deliver(p)
	}
	return sess.Rooms, true
}

// persist keeps the session of a socket whose connection was lost. rooms are its rooms
// before it left them.
func (s *Socket) persist(rooms []string) {
	st := s.nsp.store
	s.mu.Lock()
	sess := &adapter.Session{SID: s.id, PID: s.pid, Rooms: rooms, Data: s.data}
	s.mu.Unlock()
	if err := st.PersistSession(sess); err != nil {
		s.nsp.srv.logger.Warn("gateway: keeping a session for recovery failed", "namespace", s.nsp.name,
			"socket", s.id, "err", err)
	}
}

func isJSONString(raw json.RawMessage) bool { return len(raw) > 1 && raw[0] == '"' }

// lostSocket names the socket of a restored session whose connection closed before it was
// registered.
type lostSocket struct{ id string }

func (l lostSocket) ID() string            { return l.id }
func (lostSocket) Deliver(*adapter.Packet) {}
func (lostSocket) DeliverWithAck(_ *adapter.Packet, a func(adapter.Ack)) {
	a(adapter.Ack{Err: ErrDisconnected})
}
func (l lostSocket) Info() adapter.SocketInfo { return adapter.SocketInfo{ID: l.id} }
func (lostSocket) Join(...string)             {}
func (lostSocket) Leave(string)               {}
func (lostSocket) Disconnect(bool)            {}
