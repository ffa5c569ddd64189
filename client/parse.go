package client

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sockgate/sockgate/internal/eiocodec"
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
	var op eiocodec.OpenPacket
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
	if r, ok := parseFlatStrings(data); ok {
		return r, r.SID != ""
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

// parseFlatStrings reads the usual CONNECT reply, an object of plain string members such
// as {"sid":"...","pid":"..."}, without encoding/json: it runs on the connection's reader,
// and encoding/json would grow that goroutine's stack for as long as the connection
// lives. ok is false for anything else (escapes, other types, spaces), which the caller
// then decodes with encoding/json.
func parseFlatStrings(data []byte) (r connectReply, ok bool) {
	i := 0
	str := func() (string, bool) {
		if i >= len(data) || data[i] != '"' {
			return "", false
		}
		start := i + 1
		for j := start; j < len(data); j++ {
			switch c := data[j]; {
			case c == '"':
				i = j + 1
				return string(data[start:j]), true
			case c == '\\' || c < 0x20:
				return "", false
			}
		}
		return "", false
	}
	if len(data) < 2 || data[0] != '{' || data[len(data)-1] != '}' {
		return r, false
	}
	i = 1
	if data[i] == '}' {
		return r, i+1 == len(data)
	}
	for {
		key, ok := str()
		if !ok || i >= len(data) || data[i] != ':' {
			return r, false
		}
		i++
		val, ok := str()
		if !ok || i >= len(data) {
			return r, false
		}
		switch key {
		case "sid":
			r.SID = val
		case "pid":
			r.PID = val
		}
		switch data[i] {
		case ',':
			i++
		case '}':
			return r, i+1 == len(data)
		default:
			return r, false
		}
	}
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
