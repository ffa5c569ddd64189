package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

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
