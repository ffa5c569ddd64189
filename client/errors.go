package client

import (
	"encoding/json"
	"errors"
)

// Disconnect reasons, the strings of the JavaScript client, given in [Event.Reason] of
// "disconnect" events and [ManagerEvent.Reason] of "close" events.
const (
	// ReasonIOServerDisconnect: the server disconnected the socket (socket.disconnect() on
	// the server). The client does not reconnect by itself.
	ReasonIOServerDisconnect = "io server disconnect"
	// ReasonIOClientDisconnect: Socket.Disconnect or Manager.Close was called. No
	// reconnection follows.
	ReasonIOClientDisconnect = "io client disconnect"
	// ReasonPingTimeout: no ping from the server within pingInterval + pingTimeout.
	ReasonPingTimeout = "ping timeout"
	// ReasonTransportClose: the server closed the connection, or the network dropped it.
	ReasonTransportClose = "transport close"
	// ReasonTransportError: a request failed or a write could not complete.
	ReasonTransportError = "transport error"
	// ReasonParseError: the server sent something the codecs could not decode.
	ReasonParseError = "parse error"
	// ReasonForcedClose: the client closed the Engine.IO connection itself.
	ReasonForcedClose = "forced close"
)

// Errors returned by the client. They are matched with errors.Is; most are wrapped with
// the event name or the cause.
var (
	// ErrClosed is returned by operations on a closed Manager, and ends a Connect wait
	// when the socket is disconnected or its Manager closed.
	ErrClosed = errors.New("client: closed")
	// ErrNotConnected is returned by Emit while disconnected when the send buffer is off,
	// and by Event.Ack when the connection that carried the event is gone.
	ErrNotConnected = errors.New("client: not connected")
	// ErrSendBufferFull is returned by Emit while disconnected when the send buffer
	// already holds Options.SendBufferSize packets.
	ErrSendBufferFull = errors.New("client: send buffer full")
	// ErrWriteQueueFull is returned by Emit when Options.WriteQueueSize packets are
	// already waiting to be written (the network is slower than the emits).
	ErrWriteQueueFull = errors.New("client: write queue full")
	// ErrDisconnected ends an EmitWithAck whose packet was sent on a connection that was
	// lost before the acknowledgement came. Its text is the JavaScript client's.
	ErrDisconnected = errors.New("client: socket has been disconnected")
	// ErrReservedEvent is returned when emitting or listening to an event name the
	// protocol reserves for itself where that is not allowed.
	ErrReservedEvent = errors.New("client: reserved event name")
	// ErrConnectTimeout is the connect_error of an Engine.IO handshake that did not
	// complete within Options.ConnectTimeout.
	ErrConnectTimeout = errors.New("client: connect timeout")
	// ErrReconnectFailed ends a Connect wait when reconnection gave up after
	// Options.ReconnectionAttempts attempts.
	ErrReconnectFailed = errors.New("client: reconnection failed")
	// ErrNoAck is returned by Event.Ack when the server asked for no acknowledgement.
	ErrNoAck = errors.New("client: the server asked for no acknowledgement")
	// ErrProtocol wraps what the server sent that breaks the protocol, such as a
	// handshake without a session id.
	ErrProtocol = errors.New("client: protocol error")
)

// ConnectError is the connect_error of a namespace connection the server refused
// (a CONNECT_ERROR packet): Message is err.message and Data err.data of the JavaScript
// client, as raw JSON (nil when the server sent none). The client does not retry a refused
// namespace by itself.
type ConnectError struct {
	Message string
	Data    json.RawMessage
}

func (e *ConnectError) Error() string { return "client: connection refused: " + e.Message }

// DecodeData decodes Data into v.
func (e *ConnectError) DecodeData(v any) error {
	if len(e.Data) == 0 {
		return errors.New("client: connect_error without data")
	}
	return json.Unmarshal(e.Data, v)
}
