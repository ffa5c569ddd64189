package gateway

import (
	"encoding/json"

	"github.com/sockgate/sockgate/internal/socketio"
)

// DispatchForBench returns a function that runs one event asking for an acknowledgement
// through the dispatcher of a socket connected to namespace nsp of srv, as the socket's
// event loop does: the path an event takes after the decoder and before the writer, the
// acknowledgement encoded. The socket has no connection: its CONNECT reply is never sent,
// so the acknowledgements wait with the packets sent before it, up to
// Config.WriteQueueSize, and are dropped after that.
func DispatchForBench(srv *Server, nsp string) func(data json.RawMessage) {
	n, err := srv.Of(nsp)
	if err != nil {
		panic(err)
	}
	s := &Socket{id: "benchmark-socket-id0", nsp: n}
	s.state.Store(stateConnected)
	p := &socketio.Packet{Type: socketio.Event, Namespace: nsp, ID: 1, HasID: true}
	return func(data json.RawMessage) {
		p.Data = data
		s.dispatch(p)
	}
}
