package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/sockgate/sockgate/internal/socketio"
	"github.com/sockgate/sockgate/payload"
)

// dispatch calls the handlers of one event.
func (s *Socket) dispatch(p *socketio.Packet) {
	ev := &Event{socket: s, id: p.ID, hasID: p.HasID}
	name, args, err := p.SplitEvent(ev.argsMem[:0])
	if err != nil {
		return // the decoder has validated the shape; nothing sensible to do
	}
	ev.Name, ev.Args = name, payload.NewArgs(args, p.Attachments)
	o := s.nsp.srv.observer
	var start time.Duration
	if o != nil {
		start = sinceStart()
	}
	var hs, anys []eventHandler
	s.mu.Lock()
	if x := s.extras; x != nil {
		hs, anys = x.handlers[name], x.anyHandlers
	}
	s.mu.Unlock()
	for _, h := range anys {
		s.handle(ev, h)
	}
	nh := s.nsp.handler(name)
	if nh != nil {
		s.handle(ev, nh)
	}
	for _, h := range hs {
		s.handle(ev, h)
	}
	if len(hs) == 0 && len(anys) == 0 && nh == nil {
		s.nsp.srv.logger.Debug("gateway: no handler for event", "namespace", s.nsp.name, "socket", s.id, "event", name)
		if ev.hasID {
			// Answer, so that the client's emitWithAck does not wait for its timeout.
			s.reportError(name, true, ev.id, NewError(CodeNotFound, "no handler for this event"))
		}
	}
	if o != nil {
		o.EventHandled(s.nsp.name, name, nh != nil || len(hs) > 0, sinceStart()-start)
	}
}

func (s *Socket) handle(ev *Event, h eventHandler) {
	defer func() {
		if r := recover(); r != nil {
			s.nsp.srv.logger.Error("gateway: handler panicked", "namespace", s.nsp.name, "socket", s.id, "event", ev.Name,
				"panic", r, "stack", string(debug.Stack()))
			err := NewError(CodeInternal, "internal error")
			if ev.hasID && !ev.acked.Swap(true) {
				s.reportError(ev.Name, true, ev.id, err)
			} else {
				s.reportError(ev.Name, false, 0, err)
			}
		}
	}()
	h(ev)
}

// ReportError tells the client that handling event failed: through the acknowledgement
// when ack is set, and always with an "exception" event. Errors that are not *Error are
// logged and reach the client as CodeInternal with a generic message.
func (s *Socket) reportError(event string, hasAck bool, ackID int64, err error) {
	s.reportErrorAs(event, hasAck, ackID, err, true)
}

// reportErrorAs is reportError with the exception event optional.
func (s *Socket) reportErrorAs(event string, hasAck bool, ackID int64, err error, exception bool) {
	body := errorBody(err, event)
	if e := (*Error)(nil); !errors.As(err, &e) {
		level := slog.LevelError
		if errors.Is(err, context.Canceled) && s.state.Load() == stateClosed {
			// The client left while the handler ran: its context ended, nothing failed.
			level = slog.LevelDebug
		}
		s.nsp.srv.logger.Log(context.Background(), level, "gateway: handler error", "namespace", s.nsp.name,
			"socket", s.id, "event", event, "err", err)
	}
	o := s.nsp.srv.observer
	if o != nil {
		o.ErrorSent(s.nsp.name, body.Code)
	}
	cfg := &s.nsp.srv.cfg
	if hasAck && !cfg.DisableErrorAck {
		ack := body
		ack.Event = ""
		if data, aerr := marshalNoEscape([]any{ack}); aerr == nil {
			s.sendReplyPacket(&socketio.Packet{Type: socketio.Ack, Namespace: s.nsp.name, ID: ackID, HasID: true, Data: data})
			if o != nil {
				o.AckSent(s.nsp.name)
			}
		}
	}
	if cfg.DisableExceptionEvent || !exception {
		return
	}
	if data, eerr := marshalNoEscape([]any{"exception", body}); eerr == nil {
		s.sendReplyPacket(&socketio.Packet{Type: socketio.Event, Namespace: s.nsp.name, Data: data})
	}
}

// ErrorBody is what a client receives for a failed event: in the acknowledgement (without
// Event) and in the "exception" event.
type ErrorBody struct {
	Status  string `json:"status"`
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
	Event   string `json:"event,omitempty"`
}

func errorBody(err error, event string) ErrorBody {
	var e *Error
	if errors.As(err, &e) {
		return ErrorBody{Status: "error", Code: e.Code, Message: e.Message, Details: e.Details, Event: event}
	}
	return ErrorBody{Status: "error", Code: CodeInternal, Message: "internal error", Event: event}
}

func (s *Socket) protect(what string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			s.nsp.srv.logger.Error("gateway: "+what+" panicked", "namespace", s.nsp.name, "socket", s.id, "panic", r,
				"stack", string(debug.Stack()))
		}
	}()
	fn()
}

func (s *Socket) protectErr(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.nsp.srv.logger.Error("gateway: "+what+" panicked", "namespace", s.nsp.name, "socket", s.id, "panic", r,
				"stack", string(debug.Stack()))
			err = fmt.Errorf("%s failed", what)
		}
	}()
	return fn()
}

func eventName(data json.RawMessage) string {
	raw, err := socketio.SplitArgs(data)
	if err != nil || len(raw) == 0 {
		return ""
	}
	var name string
	if json.Unmarshal(raw[0], &name) != nil {
		return string(raw[0])
	}
	return name
}
