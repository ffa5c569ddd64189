package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"
)

// Response is a handler result that is emitted to the sender as an event instead of being
// sent as the acknowledgement (NestJS's WsResponse).
type Response struct {
	Event string
	Data  any
}

// methodHandler is the dispatcher of one gateway method.
type methodHandler struct {
	gw       *gatewayInfo
	event    string
	method   string
	fn       reflect.Value // the method as a function, receiver first
	recv     reflect.Value
	params   []paramKind
	bodies   []reflect.Type // types of the body parameters, in order
	results  resultShape
	pipeline pipeline
}

type paramKind uint8

const (
	paramContext paramKind = iota
	paramSocket
	paramEvent
	paramArgs
	paramBody
)

type resultShape uint8

const (
	resultNone     resultShape = iota // func(...)
	resultError                       // func(...) error
	resultValue                       // func(...) T
	resultValueErr                    // func(...) (T, error)
)

// serve is the EventHandler of one gateway method: guards, decoding and validation,
// pipes, interceptors, the call, and the result as ack, emit or error.
func (h *methodHandler) serve(e *Event) {
	s := e.socket
	ec := &ExecutionContext{Socket: s, Event: e.Name, Args: e.Args, Gateway: h.gw.value.Interface(), Method: h.method}
	if h.needsContext() || len(h.pipeline.guards) > 0 || len(h.pipeline.interceptors) > 0 || len(h.pipeline.pipes) > 0 || len(h.pipeline.filters) > 0 {
		ec.Context = s.Context()
	}
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
		s.nsp.srv.logger.Error("gateway: encoding acknowledgement", "event", e.Name, "method", h.method, "err", aerr)
	}
}

func (h *methodHandler) needsContext() bool {
	for _, k := range h.params {
		if k == paramContext {
			return true
		}
	}
	return false
}

func (h *methodHandler) run(ec *ExecutionContext, e *Event) (any, error) {
	if err := h.pipeline.runGuards(ec); err != nil {
		return nil, err
	}
	// Receiver first; a small array keeps the common signatures off the heap.
	var buf [6]reflect.Value
	var in []reflect.Value
	if len(h.params)+1 <= len(buf) {
		in = buf[:len(h.params)+1]
	} else {
		in = make([]reflect.Value, len(h.params)+1)
	}
	in[0] = h.recv
	body := 0
	for j, k := range h.params {
		i := j + 1
		switch k {
		case paramContext:
			in[i] = reflect.ValueOf(ec.Context)
		case paramSocket:
			in[i] = reflect.ValueOf(e.socket)
		case paramEvent:
			in[i] = reflect.ValueOf(e)
		case paramArgs:
			in[i] = reflect.ValueOf(e.Args)
		case paramBody:
			v, err := h.decodeBody(ec, e, body)
			if err != nil {
				return nil, err
			}
			in[i] = v
			body++
		}
	}
	if len(h.pipeline.interceptors) == 0 {
		return h.call(in)
	}
	return h.pipeline.intercept(ec, func() (any, error) { return h.call(in) })
}

// decodeBody decodes, validates and pipes body parameter n.
func (h *methodHandler) decodeBody(ec *ExecutionContext, e *Event, n int) (reflect.Value, error) {
	t := h.bodies[n]
	ptr := reflect.New(t)
	if raw := e.Args.Raw(n); raw != nil && string(raw) != "null" && !decodeFast(ptr.Elem(), raw, e.Args.attachments) {
		if err := e.Args.Decode(n, ptr.Interface()); err != nil {
			return reflect.Value{}, decodeError(n, t, err)
		}
	}
	if err := h.gw.validateValue(e.socket.nsp.srv, ptr); err != nil {
		return reflect.Value{}, err
	}
	for _, p := range h.pipeline.pipes {
		if err := p(ec, n, ptr.Interface()); err != nil {
			return reflect.Value{}, err
		}
	}
	return ptr.Elem(), nil
}

// decodeFast decodes the two most common bodies without encoding/json: a
// json.RawMessage (a copy of the argument, which the decoder has validated) and a string
// without escapes. It reports false when the general path must run.
func decodeFast(v reflect.Value, raw json.RawMessage, attachments [][]byte) bool {
	switch {
	case v.Type() == typeRawMessage && len(attachments) == 0:
		v.SetBytes(bytes.Clone(raw))
		return true
	case v.Type() == typeString && len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw):
		v.SetString(string(raw[1 : len(raw)-1]))
		return true
	}
	return false
}

func decodeError(n int, t reflect.Type, err error) error {
	var te *json.UnmarshalTypeError
	msg := err.Error()
	if errors.As(err, &te) {
		if te.Field != "" {
			msg = fmt.Sprintf("%s: expected %s, got %s", te.Field, te.Type, te.Value)
		} else {
			msg = fmt.Sprintf("expected %s, got %s", te.Type, te.Value)
		}
	}
	return NewError(CodeInvalidArgument, fmt.Sprintf("argument %d: %s", n, msg))
}

// validateValue validates struct bodies (and pointers to structs) with the server's
// validator.
func (g *gatewayInfo) validateValue(srv *Server, ptr reflect.Value) error {
	v := ptr.Elem()
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	return validationError(srv.validate.Struct(v.Addr().Interface()))
}

func (h *methodHandler) call(in []reflect.Value) (result any, err error) {
	out := h.fn.Call(in)
	switch h.results {
	case resultError:
		err, _ = out[0].Interface().(error)
	case resultValue:
		result = out[0].Interface()
	case resultValueErr:
		result = out[0].Interface()
		err, _ = out[1].Interface().(error)
	}
	return result, err
}

// fail delivers an error through the exception filters, or disconnects for Disconnect.
func (h *methodHandler) fail(ec *ExecutionContext, e *Event, err error) {
	var d *disconnectError
	if errors.As(err, &d) {
		e.socket.Disconnect(d.close)
		return
	}
	if ec.Context == nil {
		ec.Context = e.socket.Context()
	}
	err = h.pipeline.filter(ec, err)
	if err == nil {
		return
	}
	wantAck := e.WantsAck() && !e.acked.Swap(true)
	e.socket.reportError(e.Name, wantAck, e.id, err)
}
