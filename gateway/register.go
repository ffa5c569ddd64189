package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/sockgate/sockgate/decorators"
)

// Lifecycle hooks a gateway may implement. They are interfaces so that the compiler checks
// their signatures.
type (
	// AfterInit is called once, when the gateway is registered, with its namespace (nil for
	// a pattern namespace). An error fails the registration.
	AfterInit interface {
		AfterInit(n *Namespace) error
	}
	// OnConnect runs for every socket after the middleware and guards, before the CONNECT
	// reply. An error refuses the connection: the client's connect_error carries its
	// message (and, for an *Error, {code, details} as data). What it emits or joins takes
	// effect after the reply.
	OnConnect interface {
		OnConnect(ctx context.Context, s *Socket) error
	}
	// OnDisconnect runs once per socket when it disconnects, after the handlers of the
	// events it sent before, with socket.io's reason string.
	OnDisconnect interface {
		OnDisconnect(s *Socket, reason DisconnectReason)
	}
)

// Response is a handler result that is emitted to the sender as an event instead of being
// sent as the acknowledgement (NestJS's WsResponse).
type Response struct {
	Event string
	Data  any
}

var (
	typeContext    = reflect.TypeFor[context.Context]()
	typeSocket     = reflect.TypeFor[*Socket]()
	typeEvent      = reflect.TypeFor[*Event]()
	typeArgs       = reflect.TypeFor[Args]()
	typeRawMessage = reflect.TypeFor[json.RawMessage]()
	typeString     = reflect.TypeFor[string]()
	typeError      = reflect.TypeFor[error]()
	typeGatewayTag = reflect.TypeFor[decorators.Gateway]()
	typeSubscribe  = reflect.TypeFor[decorators.Subscribe]()
)

// Register discovers the handlers of a gateway and attaches them to the server. gw must be
// a pointer to a struct that embeds decorators.Gateway and declares its events in
// decorators.Subscribe fields (see package decorators). Every problem found is reported at
// once, each naming the type, the field and the tag; nothing is attached when there is
// any.
func (s *Server) Register(gw any) error {
	g, err := s.discover(gw)
	if err != nil {
		return err
	}
	return s.attach(g)
}

// gatewayInfo is what discovery learns about a gateway.
type gatewayInfo struct {
	value    reflect.Value
	name     string // type name for messages
	nsp      string
	pattern  *regexp.Regexp
	pipeline pipeline // global + gateway-level pieces
	handlers []*methodHandler
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

func (s *Server) discover(gw any) (*gatewayInfo, error) {
	v := reflect.ValueOf(gw)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("gateway: Register(%T): want a non-nil pointer to a gateway struct", gw)
	}
	t := v.Elem().Type()
	g := &gatewayInfo{value: v, name: t.String(), pipeline: pipeline{
		guards: s.guards, pipes: s.pipes, interceptors: s.interceptors, filters: s.filters,
	}}
	g.pipeline = g.pipeline.clone()
	var errs []error
	fail := func(field, tag string, format string, args ...any) {
		where := g.name
		if field != "" {
			where += "." + field
		}
		if tag != "" {
			where += " `" + tag + "`"
		}
		errs = append(errs, fmt.Errorf("gateway: %s: %s", where, fmt.Sprintf(format, args...)))
	}

	sawGateway := false
	type sub struct {
		field string
		tag   string
		st    decorators.SubscribeTag
	}
	var subs []sub
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Name == "_" {
			f.Name = fmt.Sprintf("_ (field %d)", i) // blank markers are told apart by position
		}
		switch f.Type {
		case typeGatewayTag:
			if sawGateway {
				fail(f.Name, string(f.Tag), "more than one decorators.Gateway marker")
				continue
			}
			sawGateway = true
			gt, err := decorators.ParseGatewayTag(f.Tag)
			if err != nil {
				fail(f.Name, string(f.Tag), "%v", err)
				continue
			}
			g.nsp = gt.Namespace
			if gt.NamespacePattern {
				re, err := regexp.Compile(gt.Namespace)
				if err != nil {
					fail(f.Name, string(f.Tag), "namespace pattern: %v", err)
				}
				g.pattern = re
			}
			for _, name := range gt.Use {
				if err := s.resolve(&g.pipeline, name); err != nil {
					fail(f.Name, string(f.Tag), "use: %v", err)
				}
			}
		case typeSubscribe:
			st, err := decorators.ParseSubscribeTag(f.Tag)
			if err != nil {
				fail(f.Name, string(f.Tag), "%v", err)
				continue
			}
			subs = append(subs, sub{f.Name, string(f.Tag), st})
		}
	}
	if !sawGateway {
		fail("", "", "no decorators.Gateway field: embed decorators.Gateway to declare a gateway")
	}
	if g.nsp == "" {
		g.nsp = "/"
	}
	if g.pattern == nil && !strings.HasPrefix(g.nsp, "/") {
		g.nsp = "/" + g.nsp
	}

	seen := map[string]string{}
	pt := v.Type()
	for _, sb := range subs {
		event := sb.st.Event
		if prev, dup := seen[event]; dup {
			fail(sb.field, sb.tag, "event %q is already handled by field %s", event, prev)
			continue
		}
		seen[event] = sb.field
		method := sb.st.Handler
		if method == "" {
			method = decorators.MethodName(event)
		}
		m, ok := pt.MethodByName(method)
		if !ok {
			hint := ""
			if _, onValue := t.MethodByName(method); !onValue && method != "" {
				hint = " (it must be exported and defined on *" + t.Name() + " or " + t.Name() + ")"
			}
			fail(sb.field, sb.tag, "no method %s for event %q%s", method, event, hint)
			continue
		}
		h := &methodHandler{gw: g, event: event, method: method, fn: m.Func, recv: v, pipeline: g.pipeline.clone()}
		if err := h.analyse(m.Type); err != nil {
			fail(sb.field, sb.tag, "method %s: %v", method, err)
			continue
		}
		for _, name := range sb.st.Use {
			if err := s.resolve(&h.pipeline, name); err != nil {
				fail(sb.field, sb.tag, "use: %v", err)
			}
		}
		g.handlers = append(g.handlers, h)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return g, nil
}

func (s *Server) resolve(p *pipeline, name string) error {
	piece, ok := s.named[name]
	if !ok {
		known := make([]string, 0, len(s.named))
		for k := range s.named {
			known = append(known, k)
		}
		if len(known) == 0 {
			return fmt.Errorf("unknown name %q (nothing is registered with gateway.WithNamed)", name)
		}
		return fmt.Errorf("unknown name %q (registered: %s)", name, strings.Join(known, ", "))
	}
	return p.add(name, piece)
}

// analyse checks a method's signature (receiver first) and records how to call it.
func (h *methodHandler) analyse(mt reflect.Type) error {
	var problems []string
	seen := map[paramKind]bool{}
	for i := 1; i < mt.NumIn(); i++ {
		pt := mt.In(i)
		var k paramKind
		switch pt {
		case typeContext:
			k = paramContext
		case typeSocket:
			k = paramSocket
		case typeEvent:
			k = paramEvent
		case typeArgs:
			k = paramArgs
		default:
			if err := checkBodyType(pt); err != nil {
				problems = append(problems, fmt.Sprintf("parameter %d (%s): %v", i, pt, err))
				continue
			}
			k = paramBody
			h.bodies = append(h.bodies, pt)
		}
		if k != paramBody && seen[k] {
			problems = append(problems, fmt.Sprintf("parameter %d: a second %s", i, pt))
		}
		seen[k] = true
		h.params = append(h.params, k)
	}
	if mt.IsVariadic() {
		problems = append(problems, "variadic methods are not supported; take gateway.Args for all arguments")
	}
	switch mt.NumOut() {
	case 0:
		h.results = resultNone
	case 1:
		if mt.Out(0) == typeError {
			h.results = resultError
		} else if err := checkBodyType(mt.Out(0)); err != nil {
			problems = append(problems, fmt.Sprintf("result %s: %v", mt.Out(0), err))
		} else {
			h.results = resultValue
		}
	case 2:
		if mt.Out(1) != typeError {
			problems = append(problems, "with two results, the second must be error")
		} else if err := checkBodyType(mt.Out(0)); err != nil {
			problems = append(problems, fmt.Sprintf("result %s: %v", mt.Out(0), err))
		}
		h.results = resultValueErr
	default:
		problems = append(problems, "at most two results: (T, error)")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// checkBodyType refuses types that cannot travel as JSON.
func checkBodyType(t reflect.Type) error {
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return fmt.Errorf("a %s cannot be decoded from or encoded to JSON", t.Kind())
	case reflect.Interface:
		if t.NumMethod() > 0 && t != typeError {
			return errors.New("interfaces other than any cannot be decoded")
		}
	case reflect.Pointer:
		return checkBodyType(t.Elem())
	}
	return nil
}

// attach wires a discovered gateway into its namespace.
func (s *Server) attach(g *gatewayInfo) error {
	type target interface {
		Use(Middleware)
		OnConnect(ConnectHook)
		OnConnection(func(*Socket))
		Handle(string, EventHandler)
	}
	var (
		t   target
		nsp *Namespace
	)
	if g.pattern != nil {
		t = s.OfPattern(g.pattern)
	} else {
		n, err := s.Of(g.nsp)
		if err != nil {
			return err
		}
		nsp, t = n, n
	}
	gw := g.value.Interface()
	hp := g.pipeline
	if len(hp.guards) > 0 {
		t.OnConnect(func(ctx context.Context, sock *Socket) error {
			return hp.runGuards(&ExecutionContext{Context: ctx, Socket: sock, Gateway: gw})
		})
	}
	if oc, ok := gw.(OnConnect); ok {
		t.OnConnect(oc.OnConnect)
	}
	if od, ok := gw.(OnDisconnect); ok {
		t.OnConnection(func(sock *Socket) {
			sock.OnDisconnect(func(r DisconnectReason) { od.OnDisconnect(sock, r) })
		})
	}
	for _, h := range g.handlers {
		t.Handle(h.event, h.serve)
	}
	if ai, ok := gw.(AfterInit); ok {
		if err := ai.AfterInit(nsp); err != nil {
			return fmt.Errorf("gateway: %s.AfterInit: %w", g.name, err)
		}
	}
	return nil
}

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
