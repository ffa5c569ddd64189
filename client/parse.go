package client

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sockgate/sockgate/internal/engineio"
)

// handshake is what the client keeps of the server's open packet.
type handshake struct {
	sid          string
	upgrades     []string
	pingInterval time.Duration
	pingTimeout  time.Duration
	maxPayload   int64
}

// maxHeartbeat bounds the advertised timings, so that their sum cannot overflow.
const maxHeartbeat = int64(24 * time.Hour / time.Millisecond)

// parseOpen decodes the JSON of an open packet ("0{...}" without its type byte). It needs
// a session id and positive timings; maxPayload may be absent (zero: no limit known).
func parseOpen(data []byte) (handshake, error) {
	var op engineio.OpenPacket
	if err := json.Unmarshal(data, &op); err != nil {
		return handshake{}, fmt.Errorf("%w: open packet: %w", ErrProtocol, err)
	}
	switch {
	case op.SID == "":
		return handshake{}, fmt.Errorf("%w: open packet without sid", ErrProtocol)
	case op.PingInterval <= 0 || op.PingInterval > maxHeartbeat,
		op.PingTimeout <= 0 || op.PingTimeout > maxHeartbeat:
		return handshake{}, fmt.Errorf("%w: open packet with pingInterval %d, pingTimeout %d", ErrProtocol, op.PingInterval, op.PingTimeout)
	case op.MaxPayload < 0:
		return handshake{}, fmt.Errorf("%w: open packet with maxPayload %d", ErrProtocol, op.MaxPayload)
	}
	return handshake{
		sid:          op.SID,
		upgrades:     op.Upgrades,
		pingInterval: time.Duration(op.PingInterval) * time.Millisecond,
		pingTimeout:  time.Duration(op.PingTimeout) * time.Millisecond,
		maxPayload:   op.MaxPayload,
	}, nil
}

// offersWebSocket reports whether the server offers an upgrade to websocket.
func (h *handshake) offersWebSocket() bool {
	return slices.Contains(h.upgrades, TransportWebSocket)
}

// connectReply is the data of the server's CONNECT packet.
type connectReply struct {
	SID string `json:"sid"`
	PID string `json:"pid"`
}

// parseConnect decodes the data of a CONNECT packet from the server. ok is false when it
// carries no socket id, which a v2 server would do.
func parseConnect(data []byte) (r connectReply, ok bool) {
	if len(data) == 0 {
		return r, false
	}
	var raw struct {
		SID any `json:"sid"`
		PID any `json:"pid"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return r, false
	}
	r.SID, _ = raw.SID.(string)
	r.PID, _ = raw.PID.(string)
	return r, r.SID != ""
}

// parseConnectError decodes the data of a CONNECT_ERROR packet: {"message":...,"data":...}
// as sent by v5 servers, or a bare string from older ones.
func parseConnectError(data []byte) *ConnectError {
	var s string
	if json.Unmarshal(data, &s) == nil {
		return &ConnectError{Message: s}
	}
	var raw struct {
		Message any             `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return &ConnectError{Message: "invalid CONNECT_ERROR packet"}
	}
	e := &ConnectError{Data: raw.Data}
	switch m := raw.Message.(type) {
	case string:
		e.Message = m
	case nil:
	default:
		b, _ := json.Marshal(m)
		e.Message = string(b)
	}
	return e
}
