package engineio

import (
	"errors"
	"strconv"

	"github.com/sockgate/sockgate/internal/eiocodec"
)

// appendOpenPacket appends the full open packet, type byte included. It is
// hand-written because the handshake is on the connect-storm path and the
// values need no escaping (the sid is URL-safe base64, the upgrades fixed names).
func appendOpenPacket(dst []byte, sid string, upgrade bool, cfg *Config) []byte {
	dst = append(dst, eiocodec.PacketOpen)
	dst = append(dst, `{"sid":"`...)
	dst = append(dst, sid...)
	if upgrade {
		dst = append(dst, `","upgrades":["websocket"],"pingInterval":`...)
	} else {
		dst = append(dst, `","upgrades":[],"pingInterval":`...)
	}
	dst = strconv.AppendInt(dst, cfg.PingInterval.Milliseconds(), 10)
	dst = append(dst, `,"pingTimeout":`...)
	dst = strconv.AppendInt(dst, cfg.PingTimeout.Milliseconds(), 10)
	dst = append(dst, `,"maxPayload":`...)
	dst = strconv.AppendInt(dst, cfg.MaxPayload, 10)
	return append(dst, '}')
}

// Error codes of the JSON body of a refused HTTP request.
const (
	CodeUnknownTransport           = 0
	CodeUnknownSID                 = 1
	CodeBadHandshakeMethod         = 2
	CodeBadRequest                 = 3
	CodeForbidden                  = 4
	CodeUnsupportedProtocolVersion = 5
)

// ErrorBody is the JSON body (Content-Type application/json) of a refused
// HTTP request, for example {"code":1,"message":"Session ID unknown"}.
type ErrorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// errorMessages are the messages of the codes, as the reference server words them.
var errorMessages = [...]string{
	CodeUnknownTransport:           "Transport unknown",
	CodeUnknownSID:                 "Session ID unknown",
	CodeBadHandshakeMethod:         "Bad handshake method",
	CodeBadRequest:                 "Bad request",
	CodeForbidden:                  "Forbidden",
	CodeUnsupportedProtocolVersion: "Unsupported protocol version",
}

// errorBodies holds the encoded JSON body of each code, built once.
var errorBodies = func() [len(errorMessages)][]byte {
	var out [len(errorMessages)][]byte
	for code, msg := range errorMessages {
		b := append([]byte(`{"code":`), strconv.Itoa(code)...)
		b = append(b, `,"message":"`...)
		b = append(b, msg...)
		out[code] = append(b, `"}`...)
	}
	return out
}()

// Reasons given to Handler.OnClose.
const (
	ReasonTransportClose = "transport close" // the client went away or closed the session
	ReasonTransportError = "transport error" // i/o error, slow consumer, oversized message, protocol misuse
	ReasonPingTimeout    = "ping timeout"    // no pong within PingTimeout
	ReasonParseError     = "parse error"     // a packet could not be decoded
	ReasonForcedClose    = "forced close"    // Conn.Close or Server.Close
)

// Errors given to Handler.OnClose (wrapped or as is) and returned by Conn.Send.
var (
	// ErrClosed is returned by Send on a closed session.
	ErrClosed = errors.New("engineio: session closed")
	// ErrQueueFull means the write queue would exceed Config.WriteQueueSize
	// (slow consumer); the session is closed with ReasonTransportError.
	ErrQueueFull = errors.New("engineio: write queue full")
	// ErrPayloadTooLarge means a POST body or a websocket message exceeded
	// Config.MaxPayload.
	ErrPayloadTooLarge = errors.New("engineio: payload too large")
	// ErrProtocol means the client broke the protocol: a ping from the client,
	// overlapping polling requests, a second transport.
	ErrProtocol = errors.New("engineio: protocol violation")
	// ErrPollAborted means the client cancelled a polling request.
	ErrPollAborted = errors.New("engineio: polling request aborted")
	// ErrInvalidUTF8 means a websocket text frame (closed with 1007) or a polling
	// POST body (answered with 400) was not valid UTF-8; the session is closed with
	// ReasonParseError.
	ErrInvalidUTF8 = errors.New("engineio: text is not valid UTF-8")
)
