package gateway

import (
	"context"
	"fmt"
	"reflect"

	"github.com/go-playground/validator/v10"
)

// ExecutionContext describes the call a guard, pipe, interceptor or exception filter is
// part of: a namespace handshake (Event empty) or one event.
type ExecutionContext struct {
	// Context ends when the socket disconnects.
	Context context.Context
	Socket  *Socket
	// Event is the event name; empty during the namespace handshake.
	Event string
	// Args are the event's raw arguments.
	Args Args
	// Gateway is the gateway value handling the event, nil for handlers that are not
	// gateway methods.
	Gateway any
	// Method is the name of the gateway method handling the event.
	Method string
}

// IsHandshake reports whether the call is a namespace connection rather than an event.
func (ec *ExecutionContext) IsHandshake() bool { return ec.Event == "" }

// Guard decides whether a call may proceed. Guards run on the namespace handshake (where
// an error refuses the connection with CONNECT_ERROR) and before every event (where an
// error is reported to the client). Return an *Error to choose the code the client sees.
type Guard func(ec *ExecutionContext) error

// Pipe checks or transforms one decoded argument after validation. value is a pointer to
// the handler's parameter, index its position among the event's arguments.
type Pipe func(ec *ExecutionContext, index int, value any) error

// Interceptor wraps a handler call: it may act before and after next, change the result,
// or not call next at all. Interceptors compose in declaration order, the first outermost.
type Interceptor func(ec *ExecutionContext, next func() (any, error)) (any, error)

// ExceptionFilter sees every error of a call before it reaches the client, and returns the
// error to send (possibly another one), or nil to send nothing.
type ExceptionFilter func(ec *ExecutionContext, err error) error

// Pieces of the pipeline given as server options apply to every gateway.

type guardsOption []Guard

func (o guardsOption) apply(s *Server) { s.guards = append(s.guards, o...) }
func (o guardsOption) String() string  { return fmt.Sprintf("gateway.WithGuards(%d)", len(o)) }

// WithGuards adds guards that run for every gateway, before the gateway's own.
func WithGuards(g ...Guard) Option { return guardsOption(g) }

type pipesOption []Pipe

func (o pipesOption) apply(s *Server) { s.pipes = append(s.pipes, o...) }
func (o pipesOption) String() string  { return fmt.Sprintf("gateway.WithPipes(%d)", len(o)) }

// WithPipes adds pipes that run for every gateway handler argument.
func WithPipes(p ...Pipe) Option { return pipesOption(p) }

type interceptorsOption []Interceptor

func (o interceptorsOption) apply(s *Server) { s.interceptors = append(s.interceptors, o...) }
func (o interceptorsOption) String() string {
	return fmt.Sprintf("gateway.WithInterceptors(%d)", len(o))
}

// WithInterceptors adds interceptors around every gateway handler, outside the gateway's
// own.
func WithInterceptors(i ...Interceptor) Option { return interceptorsOption(i) }

type filterOption struct{ f ExceptionFilter }

func (o filterOption) apply(s *Server) { s.filters = append(s.filters, o.f) }
func (o filterOption) String() string  { return "gateway.WithExceptionFilter(...)" }

// WithExceptionFilter adds an exception filter for every gateway, applied after the
// gateway's own.
func WithExceptionFilter(f ExceptionFilter) Option { return filterOption{f} }

type validatorOption struct{ v *validator.Validate }

func (o validatorOption) apply(s *Server) { s.validate = o.v }
func (o validatorOption) String() string  { return "gateway.WithValidator(...)" }

// WithValidator replaces the validator of message bodies. Field names in errors are the
// JSON names only if v was set up that way (as the default is); see NewValidator.
func WithValidator(v *validator.Validate) Option { return validatorOption{v} }

type namedOption struct {
	name  string
	piece any
}

func (o namedOption) apply(s *Server) {
	if s.named == nil {
		s.named = make(map[string]any)
	}
	if _, dup := s.named[o.name]; dup {
		s.optErrs = append(s.optErrs, fmt.Errorf("gateway.WithNamed(%q): name registered twice", o.name))
	}
	s.named[o.name] = o.piece
}
func (o namedOption) String() string { return fmt.Sprintf("gateway.WithNamed(%q)", o.name) }

// WithNamed registers a Guard, Pipe, Interceptor or ExceptionFilter under a name that
// gateways use in their `use:` tags.
func WithNamed(name string, piece any) Option { return namedOption{name, piece} }

// NewValidator returns the default body validator: go-playground/validator with field
// names taken from the json tags.
func NewValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(jsonFieldName)
	return v
}

func jsonFieldName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	name := tag
	for i := 0; i < len(tag); i++ {
		if tag[i] == ',' {
			name = tag[:i]
			break
		}
	}
	switch name {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return name
}

// pipeline is the resolved list of pieces for one handler (or handshake).
type pipeline struct {
	guards       []Guard
	pipes        []Pipe
	interceptors []Interceptor
	filters      []ExceptionFilter
}

// add files a named piece by its type.
func (p *pipeline) add(name string, piece any) error {
	switch v := piece.(type) {
	case Guard:
		p.guards = append(p.guards, v)
	case func(*ExecutionContext) error:
		p.guards = append(p.guards, v)
	case Pipe:
		p.pipes = append(p.pipes, v)
	case func(*ExecutionContext, int, any) error:
		p.pipes = append(p.pipes, v)
	case Interceptor:
		p.interceptors = append(p.interceptors, v)
	case func(*ExecutionContext, func() (any, error)) (any, error):
		p.interceptors = append(p.interceptors, v)
	case ExceptionFilter:
		p.filters = append(p.filters, v)
	case func(*ExecutionContext, error) error:
		p.filters = append(p.filters, v)
	default:
		return fmt.Errorf("%q is a %T, not a Guard, Pipe, Interceptor or ExceptionFilter", name, piece)
	}
	return nil
}

func (p pipeline) clone() pipeline {
	return pipeline{
		guards:       append([]Guard(nil), p.guards...),
		pipes:        append([]Pipe(nil), p.pipes...),
		interceptors: append([]Interceptor(nil), p.interceptors...),
		filters:      append([]ExceptionFilter(nil), p.filters...),
	}
}

func (p pipeline) runGuards(ec *ExecutionContext) error {
	for _, g := range p.guards {
		if err := g(ec); err != nil {
			return err
		}
	}
	return nil
}

// filter passes err through the exception filters, innermost (the handler's) first.
func (p pipeline) filter(ec *ExecutionContext, err error) error {
	for i := len(p.filters) - 1; i >= 0 && err != nil; i-- {
		err = p.filters[i](ec, err)
	}
	return err
}

// intercept calls call inside the interceptors.
func (p pipeline) intercept(ec *ExecutionContext, call func() (any, error)) (any, error) {
	if len(p.interceptors) == 0 {
		return call()
	}
	next := call
	for i := len(p.interceptors) - 1; i >= 0; i-- {
		in, inner := p.interceptors[i], next
		next = func() (any, error) { return in(ec, inner) }
	}
	return next()
}
