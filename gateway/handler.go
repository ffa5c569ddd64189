package gateway

import (
	"errors"
)

// Response is a handler result that is emitted to the sender as an event instead of being
// sent as the acknowledgement (NestJS's WsResponse).
type Response struct {
	Event string
	Data  any
}

// handler executes one HandlerSpec of a registered gateway.
type handler struct {
	spec     HandlerSpec
	gateway  any      // the gateway value, for ExecutionContext.Gateway
	pipeline pipeline // global, gateway and event pieces, resolved
}

// serve is the event handler of one gateway method: guards, Invoke (decoding, validation,
// pipes), interceptors around the call, and the result as ack, emit or error.
func (h *handler) serve(e *Event) {
	s := e.socket
	ec := e.execContext()
	*ec = ExecutionContext{Context: s.Context(), Socket: s, Event: e.Name, Args: e.Args, Gateway: h.gateway, Method: h.spec.Method}
	result, err := h.run(ec, e)
	if err != nil {
		h.fail(ec, e, err)
		return
	}
	if r, ok := result.(Response); ok {
		if err := s.Emit(r.Event, r.Data); err != nil {
			h.fail(ec, e, err)
			return
		}
		if e.WantsAck() && !e.Acked() {
			_ = e.Ack()
		}
		return
	}
	if !e.WantsAck() || e.Acked() {
		return
	}
	var aerr error
	if result == nil {
		aerr = e.Ack()
	} else {
		aerr = e.Ack(result)
	}
	if aerr != nil {
		s.nsp.srv.logger.Error("gateway: encoding acknowledgement", "namespace", s.nsp.name, "socket", s.id,
			"event", e.Name, "method", h.spec.Method, "err", aerr)
	}
}

func (h *handler) run(ec *ExecutionContext, e *Event) (any, error) {
	if err := h.pipeline.runGuards(ec); err != nil {
		return nil, err
	}
	e.ec, e.pipes = ec, h.pipeline.pipes
	call, err := h.spec.Invoke(e)
	e.ec, e.pipes = nil, nil
	if err != nil {
		return nil, err
	}
	if len(h.pipeline.interceptors) == 0 {
		return call()
	}
	return h.pipeline.intercept(ec, call)
}

// fail delivers an error through the exception filters, or disconnects for Disconnect.
func (h *handler) fail(ec *ExecutionContext, e *Event, err error) {
	if errors.Is(err, ErrDisconnectSocket) {
		e.socket.Disconnect()
		return
	}
	err = h.pipeline.filter(ec, err)
	if err == nil {
		return
	}
	wantAck := e.WantsAck() && !e.acked.Swap(true)
	e.socket.reportError(e.Name, wantAck, e.id, err)
}
