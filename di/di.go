package di

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-playground/validator/v10"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/gateway"
)

// Value group names. They are part of the API only through Gateway, Named and the params
// structs; use those instead of the strings.
const (
	groupGateways     = "sockgate.gateways"
	groupNamed        = "sockgate.named"
	groupGuards       = "sockgate.guards"
	groupInterceptors = "sockgate.interceptors"
)

// Module builds a *gateway.Server from the gateway.Config in the graph, registers every
// gateway provided with Gateway, serves it (and the routes added to *Mux) on Config.Addr
// from OnStart, and drains it with Server.Shutdown on OnStop. fx's own events are logged
// through slog.Default() (routine events at debug level); an fx.WithLogger placed after
// Module replaces that.
var Module = fx.Options(
	fx.Provide(NewMux, NewServer, newListener),
	fx.Invoke(Serve),
	fx.WithLogger(newEventLogger),
)

// newEventLogger logs fx's events through slog.Default(): the routine ones (provided,
// invoked, started) at debug level, failures at error level.
func newEventLogger() fxevent.Logger {
	l := &fxevent.SlogLogger{Logger: slog.Default()}
	l.UseLogLevel(slog.LevelDebug)
	l.UseErrorLevel(slog.LevelError)
	return l
}

// Gateway provides a gateway built by ctor, a constructor in fx's sense (its parameters
// are injected; it may also return an error). The value must be a pointer to a gateway
// struct (see package decorators). The gateway is also provided as its own type, so other
// constructors can depend on it.
func Gateway(ctor any) fx.Option {
	ct := reflect.TypeOf(ctor)
	if ct == nil || ct.Kind() != reflect.Func || ct.NumOut() < 1 || ct.NumOut() > 2 ||
		(ct.NumOut() == 2 && ct.Out(1) != reflect.TypeFor[error]()) {
		return fx.Error(fmt.Errorf("di.Gateway: want a constructor returning the gateway and optionally an error, got %T", ctor))
	}
	gt := ct.Out(0)
	// func(g *T) any { return g }: hands the typed value to the gateways group.
	toAny := reflect.MakeFunc(reflect.FuncOf([]reflect.Type{gt}, []reflect.Type{reflect.TypeFor[any]()}, false),
		func(args []reflect.Value) []reflect.Value {
			out := reflect.New(reflect.TypeFor[any]()).Elem()
			out.Set(args[0])
			return []reflect.Value{out}
		})
	return fx.Options(
		fx.Provide(ctor),
		fx.Provide(fx.Annotate(toAny.Interface(), fx.ResultTags(`group:"`+groupGateways+`"`))),
	)
}

// Guard provides a guard that runs for every gateway, on the handshake and every event.
func Guard(ctor any) fx.Option {
	return fx.Provide(fx.Annotate(ctor, fx.ResultTags(`group:"`+groupGuards+`"`)))
}

// Interceptor provides an interceptor around every gateway handler.
func Interceptor(ctor any) fx.Option {
	return fx.Provide(fx.Annotate(ctor, fx.ResultTags(`group:"`+groupInterceptors+`"`)))
}

// NamedPiece is a Guard, Pipe, Interceptor or ExceptionFilter that gateways refer to by
// name in their `use:` tags.
type NamedPiece struct {
	Name  string
	Piece any
}

// Named provides the piece built by ctor under name, for `use:"name"` tags. ctor is a
// constructor in fx's sense returning the piece (and optionally an error).
func Named(name string, ctor any) fx.Option {
	ct := reflect.TypeOf(ctor)
	if ct == nil || ct.Kind() != reflect.Func || ct.NumOut() < 1 || ct.NumOut() > 2 ||
		(ct.NumOut() == 2 && ct.Out(1) != reflect.TypeFor[error]()) {
		return fx.Error(fmt.Errorf("di.Named(%q): want a constructor returning the piece and optionally an error, got %T", name, ctor))
	}
	in := make([]reflect.Type, ct.NumIn())
	for i := range in {
		in[i] = ct.In(i)
	}
	ft := reflect.FuncOf(in, []reflect.Type{reflect.TypeFor[NamedPiece](), reflect.TypeFor[error]()}, ct.IsVariadic())
	cv := reflect.ValueOf(ctor)
	wrapped := reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
		var out []reflect.Value
		if ct.IsVariadic() {
			out = cv.CallSlice(args)
		} else {
			out = cv.Call(args)
		}
		var err error
		if len(out) == 2 && !out[1].IsNil() {
			err = out[1].Interface().(error)
		}
		np := NamedPiece{Name: name, Piece: out[0].Interface()}
		errv := reflect.Zero(reflect.TypeFor[error]())
		if err != nil {
			errv = reflect.ValueOf(&err).Elem()
		}
		return []reflect.Value{reflect.ValueOf(np), errv}
	})
	return fx.Provide(fx.Annotate(wrapped.Interface(), fx.ResultTags(`group:"`+groupNamed+`"`)))
}

// ServerParams is what NewServer takes from the graph. Everything but Config is optional.
type ServerParams struct {
	fx.In

	Config       gateway.Config
	Logger       *slog.Logger            `optional:"true"`
	Adapter      adapter.Factory         `optional:"true"`
	Validator    *validator.Validate     `optional:"true"`
	Filter       gateway.ExceptionFilter `optional:"true"`
	Observer     gateway.Observer        `optional:"true"`
	Gateways     []any                   `group:"sockgate.gateways"`
	Named        []NamedPiece            `group:"sockgate.named"`
	Guards       []gateway.Guard         `group:"sockgate.guards"`
	Interceptors []gateway.Interceptor   `group:"sockgate.interceptors"`
}

// NewServer builds the server and registers every gateway. Registration problems of all
// gateways are returned together, so that fx.New(...).Err() reports them.
func NewServer(p ServerParams) (*gateway.Server, error) {
	var opts []gateway.Option
	if p.Logger != nil {
		opts = append(opts, gateway.WithLogger(p.Logger))
	}
	if p.Adapter != nil {
		opts = append(opts, gateway.WithAdapter(p.Adapter))
	}
	if p.Validator != nil {
		opts = append(opts, gateway.WithValidator(p.Validator))
	}
	if p.Filter != nil {
		opts = append(opts, gateway.WithExceptionFilter(p.Filter))
	}
	if p.Observer != nil {
		opts = append(opts, gateway.WithObserver(p.Observer))
	}
	if len(p.Guards) > 0 {
		opts = append(opts, gateway.WithGuards(p.Guards...))
	}
	if len(p.Interceptors) > 0 {
		opts = append(opts, gateway.WithInterceptors(p.Interceptors...))
	}
	for _, n := range p.Named {
		opts = append(opts, gateway.WithNamed(n.Name, n.Piece))
	}
	srv, err := gateway.NewServer(p.Config, opts...)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, g := range p.Gateways {
		if err := srv.Register(g); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return srv, nil
}

// Mux holds the HTTP routes served next to the gateway on Config.Addr. Add routes from an
// fx.Invoke: func(m *di.Mux) { m.HandleFunc("GET /health", ...) }.
type Mux struct {
	*http.ServeMux
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{ServeMux: http.NewServeMux()} }

// Listener tells where the module's HTTP server listens, once the app has started: useful
// with Config.Addr ":0" in tests.
type Listener struct {
	addr atomic.Pointer[net.Addr]
}

func newListener() *Listener { return &Listener{} }

// Addr returns the address listened on, or nil before the app has started.
func (l *Listener) Addr() net.Addr {
	if a := l.addr.Load(); a != nil {
		return *a
	}
	return nil
}

// URL returns "http://" + the address listened on, with 127.0.0.1 standing for an
// unspecified host, or "" before the app has started.
func (l *Listener) URL() string {
	a, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return ""
	}
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(a.Port))
}

// ServeParams is what Serve takes from the graph.
type ServeParams struct {
	fx.In

	Lifecycle fx.Lifecycle
	Server    *gateway.Server
	Mux       *Mux
	Listener  *Listener
	Logger    *slog.Logger `optional:"true"`
}

// Serve mounts the server on the Mux at its path and runs the HTTP listener from the
// lifecycle: OnStart listens (failing the start if the address is taken) and serves in the
// background; OnStop drains the gateway with Server.Shutdown, bounded by the stop context
// and Config.ShutdownTimeout, then stops the HTTP server.
func Serve(p ServeParams) {
	cfg := p.Server.Config()
	log := p.Logger
	if log == nil {
		log = slog.Default()
	}
	prefix := cfg.Path[:len(cfg.Path)-1]
	p.Mux.Handle(cfg.Path, p.Server)
	p.Mux.Handle(prefix, p.Server)
	hs := &http.Server{
		Handler:           p.Mux,
		ReadHeaderTimeout: 10 * time.Second,
		// Parked polling requests last up to PingInterval: no Read/WriteTimeout here.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			var lc net.ListenConfig
			ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
			if err != nil {
				return fmt.Errorf("sockgate: listen on %s: %w", cfg.Addr, err)
			}
			addr := ln.Addr()
			p.Listener.addr.Store(&addr)
			log.Info("sockgate: listening", "addr", addr.String(), "path", cfg.Path)
			go func() {
				defer close(done)
				if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Error("sockgate: HTTP server stopped", "err", err)
				}
			}()
			return nil
		},
		OnStop: func(ctx context.Context) error {
			sctx, cancel := context.WithTimeout(ctx, cfg.ShutdownTimeout)
			defer cancel()
			err := p.Server.Shutdown(sctx)
			if herr := hs.Shutdown(ctx); herr != nil && err == nil {
				err = herr
			}
			select {
			case <-done:
			case <-ctx.Done():
			}
			return err
		},
	})
}
