package adapter

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// Defaults of a [Recovery] whose bounds are zero.
const (
	defaultMaxSessions    = 10_000
	defaultMaxPackets     = 10_000
	defaultMaxPacketBytes = 64 << 20
)

// Recovery is the connection state recovery configuration of a namespace, as its adapter
// sees it through [Namespace].Recovery. The zero value means recovery is off.
type Recovery struct {
	// MaxDisconnectionDuration is how long the session of a disconnected socket and the
	// packets it may have missed are kept. Zero: recovery is off.
	MaxDisconnectionDuration time.Duration
	// MaxSessions bounds the sessions kept; when it is reached the oldest one is dropped.
	// Zero: 10,000.
	MaxSessions int
	// MaxPackets bounds the packets kept; when it is reached the oldest one is dropped, and
	// a session whose offset is gone can no longer be recovered. Zero: 10,000.
	MaxPackets int
	// MaxPacketBytes bounds the bytes of the packets kept (payload and attachments), the
	// same way. Zero: 64 MiB.
	MaxPacketBytes int64
}

// Enabled reports whether connection state recovery is on.
func (r Recovery) Enabled() bool { return r.MaxDisconnectionDuration > 0 }

// WithDefaults returns r with its zero bounds replaced by the defaults.
func (r Recovery) WithDefaults() Recovery {
	if r.MaxSessions <= 0 {
		r.MaxSessions = defaultMaxSessions
	}
	if r.MaxPackets <= 0 {
		r.MaxPackets = defaultMaxPackets
	}
	if r.MaxPacketBytes <= 0 {
		r.MaxPacketBytes = defaultMaxPacketBytes
	}
	return r
}

// Session is what connection state recovery keeps of a socket whose connection was lost,
// and what it gives back when the client reconnects in time.
type Session struct {
	// SID is the socket id; a recovered socket keeps it.
	SID string
	// PID is the private session id the server gave the client in its CONNECT reply; the
	// client presents it to recover. It is a secret between the server and that client.
	PID string
	// Rooms are the socket's rooms when it disconnected, its own id included.
	Rooms []string
	// Data is the socket's data. The in-memory adapter keeps the value itself; an adapter
	// that stores sessions outside the process returns what its encoding decodes to.
	Data any
	// MissedPackets, set by RestoreSession only, are the packets broadcast after the
	// client's offset that the session's rooms select, oldest first, each with its offset.
	MissedPackets []*Packet
}

// SessionStore is implemented by adapters that support connection state recovery (the
// in-memory adapter, and cluster adapters that keep packets, such as a Redis streams
// adapter). A server with recovery on uses it when its adapter implements it; with
// another adapter recovery stays off for that namespace.
//
// When its namespace's Recovery is enabled, such an adapter appends an offset to every
// packet that [Packet.Recoverable] accepts, with [Packet.WithOffset], before delivering it, keeps
// the packet with its [BroadcastOptions] for Recovery.MaxDisconnectionDuration, and
// delivers the packets of one namespace to every socket in the order of their offsets.
// That includes the packets a cluster adapter receives from other nodes. A cluster adapter
// that keeps its local rooms in an in-memory adapter but keeps no packets itself builds
// that one with a Namespace whose Recovery returns zero, so that no offsets are added.
type SessionStore interface {
	// PersistSession keeps s (whose MissedPackets is nil) for MaxDisconnectionDuration. It
	// is called when a socket's connection is lost for a reason that allows recovery, and
	// must not block for long: an adapter that stores remotely may do it in the background.
	PersistSession(s *Session) error
	// RestoreSession returns the session of pid with the packets it missed since offset,
	// and forgets the session: it is restored at most once. It returns nil and no error
	// when there is nothing to restore: no session for pid, the session expired, or offset
	// is no longer (or never was) among the packets kept.
	//
	// After a successful restore the server registers a socket whose ID is the session's
	// SID with AddAll, in the session's rooms. The adapter must deliver the packets that the
	// session's rooms select and that are broadcast between the two calls to that socket,
	// exactly once and before any later packet (for example from its AddAll); DelAll of a
	// socket with that id before AddAll discards them.
	RestoreSession(ctx context.Context, pid, offset string) (*Session, error)
}

// Recoverable reports whether p gets an offset and is kept for connection state
// recovery. socket.io's rule: an event that asks for no acknowledgement and is not
// volatile.
func (p *Packet) Recoverable() bool { return !p.HasID && !p.Volatile }

// Includes reports whether a packet broadcast with o reaches a socket in sessionRooms
// (its rooms, its own id included): no rooms or one of them, and none of the exceptions.
// It decides which kept packets a restored session missed.
func (o BroadcastOptions) Includes(sessionRooms []string) bool {
	included := len(o.Rooms) == 0
	for _, r := range sessionRooms {
		for _, x := range o.Except {
			if r == x {
				return false
			}
		}
		if !included {
			for _, in := range o.Rooms {
				if r == in {
					included = true
					break
				}
			}
		}
	}
	return included
}

// WithOffset returns a copy of p whose event carries offset as one more, last argument,
// which is where socket.io clients read it. p is not modified.
func (p *Packet) WithOffset(offset string) *Packet {
	data := bytes.TrimRight(p.Data, " \t\r\n")
	q, err := json.Marshal(offset)
	if err != nil || len(data) < 2 || data[len(data)-1] != ']' {
		// Not an array: nothing a client could read the offset from.
		return p
	}
	body := bytes.TrimRight(data[:len(data)-1], " \t\r\n")
	if len(body) == 0 || body[0] != '[' {
		return p
	}
	out := make([]byte, 0, len(body)+len(q)+2)
	out = append(out, body...)
	if body[len(body)-1] != '[' {
		out = append(out, ',')
	}
	out = append(out, q...)
	out = append(out, ']')
	return &Packet{
		Namespace:   p.Namespace,
		Data:        out,
		Attachments: p.Attachments,
		ID:          p.ID,
		HasID:       p.HasID,
		Offset:      offset,
		Volatile:    p.Volatile,
	}
}

// size is what a kept packet costs, roughly: its payload and attachments, twice when its
// encoded messages are kept too.
func (p *Packet) size() int64 {
	n := int64(len(p.Data))
	for _, a := range p.Attachments {
		n += int64(len(a))
	}
	return 2 * n
}
