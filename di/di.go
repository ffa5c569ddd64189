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
	groupPipes        = "sockgate.pipes"
	groupInterceptors = "sockgate.interceptors"
	groupFilters      = "sockgate.filters"
)

// Module builds a *gateway.Server from the gateway.Config in the graph, registers every
// gateway provided with Gateway, serves it (and the routes added to *Mux) on Config.Addr
// from OnStart, and drains it with Server.Shutdown on OnStop.
//
// It is an fx.Module named "sockgate": its own fx events go to slog.Default() at debug
// level, and the application's fx logger (fx.WithLogger) is left alone for everything
// else. A failure inside the module, such as a registration error, reaches the
// application as the error of its start, which its logger prints once; fx.New(...).Err()
// returns it.
var Module = fx.Module("sockgate",
	fx.Provide(newMux, newServer, newListener),
	fx.Invoke(serve),
	fx.WithLogger(newEventLogger),
)

// newEventLogger logs the module's fx events through slog.Default() at debug level, its
// failures included: the application reports them as the error of its start.
func newEventLogger() fxevent.Logger {
	l := &fxevent.SlogLogger{Logger: slog.Default()}
	l.UseLogLevel(slog.LevelDebug)
	l.UseErrorLevel(slog.LevelDebug)
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

// Pipe provides a pipe that runs for every body parameter of every gateway handler,
// after validation.
func Pipe(ctor any) fx.Option {
	return fx.Provide(fx.Annotate(ctor, fx.ResultTags(`group:"`+groupPipes+`"`)))
}

// Interceptor provides an interceptor around every gateway handler.
func Interceptor(ctor any) fx.Option {
	return fx.Provide(fx.Annotate(ctor, fx.ResultTags(`group:"`+groupInterceptors+`"`)))
}

// ExceptionFilter provides an exception filter for every gateway, applied after the
// gateway's own.
func ExceptionFilter(ctor any) fx.Option {
	return fx.Provide(fx.Annotate(ctor, fx.ResultTags(`group:"`+groupFilters+`"`)))
}

// namedPiece is a Guard, Pipe, Interceptor or ExceptionFilter that gateways refer to by
// name in their `use:` tags.
type namedPiece struct {
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
	ft := reflect.FuncOf(in, []reflect.Type{reflect.TypeFor[namedPiece](), reflect.TypeFor[error]()}, ct.IsVariadic())
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
		np := namedPiece{Name: name, Piece: out[0].Interface()}
		errv := reflect.Zero(reflect.TypeFor[error]())
		if err != nil {
			errv = reflect.ValueOf(&err).Elem()
		}
		return []reflect.Value{reflect.ValueOf(np), errv}
	})
	return fx.Provide(fx.Annotate(wrapped.Interface(), fx.ResultTags(`group:"`+groupNamed+`"`)))
}

// serverParams is what newServer takes from the graph. Everything but Config is optional.
type serverParams struct {
	fx.In

	Config       gateway.Config
	Logger       *slog.Logger              `optional:"true"`
	Adapter      adapter.Factory           `optional:"true"`
	Validator    *validator.Validate       `optional:"true"`
	Observer     gateway.Observer          `optional:"true"`
	Gateways     []any                     `group:"sockgate.gateways"`
	Named        []namedPiece              `group:"sockgate.named"`
	Guards       []gateway.Guard           `group:"sockgate.guards"`
	Pipes        []gateway.Pipe            `group:"sockgate.pipes"`
	Interceptors []gateway.Interceptor     `group:"sockgate.interceptors"`
	Filters      []gateway.ExceptionFilter `group:"sockgate.filters"`
}

// newServer builds the server and registers every gateway. Registration problems of all
// gateways are returned together, so that fx.New(...).Err() reports them.
func newServer(p serverParams) (*gateway.Server, error) {
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
	for _, f := range p.Filters {
		opts = append(opts, gateway.WithExceptionFilter(f))
	}
	if len(p.Pipes) > 0 {
		opts = append(opts, gateway.WithPipes(p.Pipes...))
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

func newMux() *Mux { return &Mux{ServeMux: http.NewServeMux()} }

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

// serveParams is what serve takes from the graph.
type serveParams struct {
	fx.In

	Lifecycle fx.Lifecycle
	Server    *gateway.Server
	Mux       *Mux
	Listener  *Listener
	Logger    *slog.Logger `optional:"true"`
}

// serve mounts the server on the Mux at its path and runs the HTTP listener from the
// lifecycle: OnStart listens (failing the start if the address is taken) and serves in the
// background; OnStop drains the gateway with Server.Shutdown, bounded by the stop context
// and Config.ShutdownTimeout, then stops the HTTP server.
func serve(p serveParams) {
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
