package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/sockgate/sockgate/adapter"
)

// BroadcastOperator selects sockets of a namespace and acts on all of them at once. It is
// an immutable value: every method returns a new operator, so one can be kept and reused
// from several goroutines.
type BroadcastOperator struct {
	nsp      *Namespace
	rooms    []string
	except   []string
	volatile bool
	local    bool
	timeout  time.Duration
}

// To adds rooms to the selection (a socket id is a room holding that socket).
func (o BroadcastOperator) To(rooms ...string) BroadcastOperator {
	o.rooms = appendCopy(o.rooms, rooms)
	return o
}

// Except excludes the sockets in rooms.
func (o BroadcastOperator) Except(rooms ...string) BroadcastOperator {
	o.except = appendCopy(o.except, rooms)
	return o
}

// Volatile lets the packet be dropped for clients that cannot take it right now.
func (o BroadcastOperator) Volatile() BroadcastOperator {
	o.volatile = true
	return o
}

// Local keeps the broadcast on this node of a cluster.
func (o BroadcastOperator) Local() BroadcastOperator {
	o.local = true
	return o
}

// Timeout sets how long EmitWithAck waits for acknowledgements.
func (o BroadcastOperator) Timeout(d time.Duration) BroadcastOperator {
	o.timeout = d
	return o
}

func (o BroadcastOperator) opts() adapter.BroadcastOptions {
	return adapter.BroadcastOptions{Rooms: o.rooms, Except: o.except, Local: o.local, Timeout: o.timeout}
}

// Emit sends an event to every selected socket. The packet is encoded once and the same
// frames are queued for every recipient.
func (o BroadcastOperator) Emit(event string, args ...any) error {
	p, err := encodeEvent(o.nsp.name, event, args)
	if err != nil {
		return err
	}
	p.Volatile = o.volatile
	return o.nsp.adapter.Broadcast(p, o.opts())
}

// EmitWithAck sends an event to every selected socket and collects one acknowledgement
// from each, until all have answered, the operator's Timeout passes (ErrAckTimeout) or ctx
// ends. On error, the acknowledgements received so far are returned with it.
func (o BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	p, err := encodeEvent(o.nsp.name, event, args)
	if err != nil {
		return nil, err
	}
	p.ID, p.HasID = o.nsp.ackIDs.Add(1)-1, true
	p.Volatile = o.volatile
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	servers, err := o.nsp.adapter.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	var (
		mu       sync.Mutex
		expected int
		counted  int
		acks     []Args
		done     = make(chan struct{})
		closed   bool
	)
	check := func() {
		if !closed && counted >= servers && len(acks) >= expected {
			closed = true
			close(done)
		}
	}
	err = o.nsp.adapter.BroadcastWithAck(p, o.opts(),
		func(n int) {
			mu.Lock()
			expected += n
			counted++
			check()
			mu.Unlock()
		},
		func(a adapter.Ack) {
			mu.Lock()
			defer mu.Unlock()
			if closed {
				return
			}
			if a.Err != nil {
				// The socket went away: it will never answer.
				expected--
			} else if args, aerr := ackArgs(a); aerr == nil {
				acks = append(acks, args)
			} else {
				expected--
			}
			check()
		})
	if err != nil {
		return nil, err
	}
	select {
	case <-done:
		mu.Lock()
		defer mu.Unlock()
		return acks, nil
	case <-ctx.Done():
		mu.Lock()
		closed = true
		out := append([]Args(nil), acks...)
		mu.Unlock()
		// The local sockets that did not answer still hold a registration for p.ID (and
		// Shutdown would wait for it): release them.
		o.nsp.dropAcks(p.ID)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return out, ErrAckTimeout
		}
		return out, ctx.Err()
	}
}

// FetchSockets returns the selected sockets on every node.
func (o BroadcastOperator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	infos, err := o.nsp.adapter.FetchSockets(ctx, o.opts())
	if err != nil {
		return nil, err
	}
	out := make([]*RemoteSocket, len(infos))
	for i, info := range infos {
		out[i] = &RemoteSocket{nsp: o.nsp, info: info}
	}
	return out, nil
}

// LocalSocketIDs returns the ids of the selected sockets connected to this node only; use
// FetchSockets for every node of a cluster.
func (o BroadcastOperator) LocalSocketIDs() []string { return o.nsp.adapter.Sockets(o.opts()) }

// SocketsJoin makes the selected sockets join rooms.
func (o BroadcastOperator) SocketsJoin(rooms ...string) { o.nsp.adapter.AddSockets(o.opts(), rooms) }

// SocketsLeave makes the selected sockets leave rooms.
func (o BroadcastOperator) SocketsLeave(rooms ...string) { o.nsp.adapter.DelSockets(o.opts(), rooms) }

// DisconnectSockets disconnects the selected sockets; with closeConn their connections are
// closed too.
func (o BroadcastOperator) DisconnectSockets(closeConn bool) {
	o.nsp.adapter.DisconnectSockets(o.opts(), closeConn)
}

// appendCopy appends to a copy, so operators derived from one another never share a
// backing array.
func appendCopy(dst, more []string) []string {
	out := make([]string, 0, len(dst)+len(more))
	out = append(out, dst...)
	return append(out, more...)
}

// RemoteSocket is a socket found by FetchSockets, possibly on another node.
type RemoteSocket struct {
	nsp  *Namespace
	info adapter.SocketInfo
}

// ID returns the socket id.
func (r *RemoteSocket) ID() string { return r.info.ID }

// Handshake returns what the socket was opened with.
func (r *RemoteSocket) Handshake() *adapter.Handshake { return &r.info.Handshake }

// Rooms returns the socket's rooms when it was fetched.
func (r *RemoteSocket) Rooms() []string { return r.info.Rooms }

// Data returns the socket's data, as JSON.
func (r *RemoteSocket) Data() json.RawMessage { return r.info.Data }

// Emit sends an event to the socket.
func (r *RemoteSocket) Emit(event string, args ...any) error {
	return r.nsp.To(r.info.ID).Emit(event, args...)
}

// Join makes the socket join rooms.
func (r *RemoteSocket) Join(rooms ...string) { r.nsp.To(r.info.ID).SocketsJoin(rooms...) }

// Leave makes the socket leave rooms.
func (r *RemoteSocket) Leave(rooms ...string) { r.nsp.To(r.info.ID).SocketsLeave(rooms...) }

// Disconnect disconnects the socket from its namespace.
func (r *RemoteSocket) Disconnect() { r.nsp.To(r.info.ID).DisconnectSockets(false) }
