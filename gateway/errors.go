package gateway

import (
	"context"
	"errors"
	"fmt"
)

// Code is the closed set of error codes a client can see.
type Code string

// The error codes. They follow gRPC's names, in snake case.
const (
	CodeInvalidArgument   Code = "invalid_argument"
	CodeUnauthenticated   Code = "unauthenticated"
	CodePermissionDenied  Code = "permission_denied"
	CodeNotFound          Code = "not_found"
	CodeResourceExhausted Code = "resource_exhausted"
	CodeDeadlineExceeded  Code = "deadline_exceeded"
	CodeUnavailable       Code = "unavailable"
	CodeInternal          Code = "internal"
)

// Error is the one error type whose contents reach clients. Its Message is sent as is:
// never put secrets in it. Any other error reaching a client is replaced by CodeInternal
// with a generic message, and logged in full.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Details is optional structured data, for example one FieldError per invalid field.
	Details any `json:"details,omitempty"`
	// cause is kept for logs and errors.Is/As, never sent.
	cause error
}

// NewError returns an *Error with the given code and message.
func NewError(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Unwrap returns the wrapped cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// WithDetails returns a copy of e carrying details.
func (e *Error) WithDetails(details any) *Error {
	c := *e
	c.Details = details
	return &c
}

// FieldError describes one invalid field of a message body.
type FieldError struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Param   string `json:"param,omitempty"`
	Message string `json:"message"`
}

// ConnectError refuses a namespace connection from a middleware with exactly the
// CONNECT_ERROR payload a Node socket.io server would send for next(err) with err.data set:
// the client's connect_error handler sees Message as err.message and Data as err.data.
type ConnectError struct {
	Message string
	Data    any
}

func (e *ConnectError) Error() string { return e.Message }

// DisconnectReason says why a socket left its namespace. The values are socket.io's, so
// code ported from Node keeps working.
type DisconnectReason string

// The disconnect reasons.
const (
	ReasonTransportClose            DisconnectReason = "transport close"
	ReasonTransportError            DisconnectReason = "transport error"
	ReasonPingTimeout               DisconnectReason = "ping timeout"
	ReasonParseError                DisconnectReason = "parse error"
	ReasonForcedClose               DisconnectReason = "forced close"
	ReasonServerShuttingDown        DisconnectReason = "server shutting down"
	ReasonForcedServerClose         DisconnectReason = "forced server close"
	ReasonClientNamespaceDisconnect DisconnectReason = "client namespace disconnect"
	ReasonServerNamespaceDisconnect DisconnectReason = "server namespace disconnect"
	// ReasonRateLimited is sockgate's own: the socket kept sending events over their rate
	// limits (Config.MaxRateRefusals).
	ReasonRateLimited DisconnectReason = "rate limit exceeded"
	// ReasonSlowConsumer is sockgate's own: the connection was closed because the
	// packets waiting for it exceeded Config.WriteQueueSize (a client that does not read
	// fast enough). socket.io would report "transport error".
	ReasonSlowConsumer DisconnectReason = "slow consumer"
)

// Errors returned by the runtime.
var (
	// ErrDisconnected ends a wait for an acknowledgement when the socket goes away.
	ErrDisconnected = errors.New("gateway: socket disconnected")
	// ErrReservedEvent is returned when emitting an event name socket.io reserves.
	ErrReservedEvent = errors.New("gateway: reserved event name")
	// ErrAckTimeout is returned when acknowledgements did not all arrive in time. It wraps
	// context.DeadlineExceeded, which a context's deadline would have given.
	ErrAckTimeout = fmt.Errorf("gateway: operation has timed out: %w", context.DeadlineExceeded)
	// ErrDisconnectSocket, returned (or wrapped) by an event handler, disconnects the
	// socket from its namespace instead of answering, as Socket.Disconnect does; it is not
	// reported to the client as an error.
	ErrDisconnectSocket = errors.New("gateway: disconnect requested by the handler")
	// ErrNoAck is returned by Event.Ack when the client did not ask for an acknowledgement.
	ErrNoAck = errors.New("gateway: the client did not ask for an acknowledgement")
)

// errServerClosed refuses the requests that reach a server once Shutdown has begun.
var errServerClosed = errors.New("gateway: server closed")
