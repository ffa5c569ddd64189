package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/internal/engineio"
)

// Server is a Socket.IO server. It is an http.Handler answering at Config.Path; mount it on
// any mux or http.Server. Every method is safe for concurrent use.
type Server struct {
	cfg            Config
	eio            *engineio.Server
	logger         *slog.Logger
	observer       Observer // nil: no metrics
	adapterFactory adapter.Factory
	prefix         string // Path without its trailing slash

	main *Namespace // "/", from NewServer on

	// mu guards nsps and parents.
	mu      sync.RWMutex
	nsps    map[string]*Namespace
	parents []*ParentNamespace

	// regMu guards registrations (held briefly by Register, never around AfterInit).
	regMu         sync.Mutex
	registrations map[string]*registration // by namespace name or "pattern <re>"

	// Rate limits: the default rule (Config.EventRate), whether any rule exists at all,
	// and the clock of the buckets (now replaces it in tests).
	defaultRate *rateRule
	rateLimits  atomic.Bool
	epoch       time.Time
	now         func() int64

	closing atomic.Bool
	active  activity
	workers workers // goroutines of the sockets' event loops

	// The handler pipeline given as options; read-only after NewServer.
	guards       []Guard
	pipes        []Pipe
	interceptors []Interceptor
	filters      []ExceptionFilter
	validate     *validator.Validate
	named        map[string]any
	optErrs      []error
}

// NewServer returns a Server for cfg. The namespace "/" exists from the start.
func NewServer(cfg Config, opts ...Option) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{
		epoch:          time.Now(),
		cfg:            cfg,
		logger:         slog.Default(),
		adapterFactory: adapter.NewMemory,
		prefix:         strings.TrimSuffix(cfg.Path, "/"),
		nsps:           make(map[string]*Namespace),
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("gateway: nil Option")
		}
		o.apply(s)
	}
	if s.logger == nil || s.adapterFactory == nil {
		return nil, errors.New("gateway: WithLogger and WithAdapter need a non-nil value")
	}
	if len(s.optErrs) > 0 {
		return nil, errors.Join(s.optErrs...)
	}
	if s.validate == nil {
		s.validate = NewValidator()
	}
	if cfg.EventRate != "" {
		s.defaultRate, _ = parseRateRule("Config.EventRate", cfg.EventRate) // checked by validate
		s.rateLimits.Store(true)
	}
	s.eio = engineio.NewServer(engineio.Config{
		PingInterval:         cfg.PingInterval,
		PingTimeout:          cfg.PingTimeout,
		UpgradeTimeout:       cfg.UpgradeTimeout,
		MaxPayload:           cfg.MaxHTTPBufferSize,
		MaxConnections:       max(cfg.MaxConnections, 0),
		HandshakeRate:        max(cfg.HandshakeRate, 0),
		HandshakeBurst:       cfg.HandshakeBurst,
		MaxPendingPerAddress: max(cfg.MaxPendingPerAddress, 0),
		JoinTimeout:          max(cfg.ConnectTimeout, 0),
		MaxBufferedBytes:     cfg.MaxBufferedBytes,
		PostReadTimeout:      cfg.PostReadTimeout,
		Transports:           cfg.Transports,
		DisableUpgrades:      cfg.DisableUpgrades,
		AllowedOrigins:       cfg.CORSOrigins,
		Cookie:               cfg.Cookie,
		WriteQueueSize:       cfg.WriteQueueSize,
		AllowRequest: func(*http.Request) error {
			if s.closing.Load() {
				return errServerClosed
			}
			return nil
		},
	}, (*engineHandler)(s))
	main, err := s.Of("/")
	if err != nil {
		return nil, err
	}
	s.main = main
	return s, nil
}

// Config returns the configuration in use, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Logger returns the server's logger.
func (s *Server) Logger() *slog.Logger { return s.logger }

// ServeHTTP answers Engine.IO requests at the configured path and 404 elsewhere.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p != s.prefix && p != s.cfg.Path {
		http.NotFound(w, r)
		return
	}
	s.eio.ServeHTTP(w, r)
}

// Of returns the namespace called name, creating it on first use. A name without a leading
// slash gets one.
func (s *Server) Of(name string) (*Namespace, error) {
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	s.mu.RLock()
	n := s.nsps[name]
	s.mu.RUnlock()
	if n != nil {
		return n, nil
	}
	return s.createNamespace(name, nil)
}

func (s *Server) createNamespace(name string, parent *ParentNamespace) (*Namespace, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.nsps[name]; n != nil && !n.isRemoved() {
		return n, nil
	}
	if parent != nil && s.cfg.MaxChildNamespaces > 0 && parent.childCount() >= s.cfg.MaxChildNamespaces {
		return nil, errTooManyChildren
	}
	n := newNamespace(s, name, parent)
	a, err := s.adapterFactory(adapterView{n})
	if err != nil {
		return nil, fmt.Errorf("gateway: adapter for namespace %q: %w", name, err)
	}
	if err := a.Init(context.Background()); err != nil {
		return nil, fmt.Errorf("gateway: adapter for namespace %q: %w", name, err)
	}
	n.adapter = a
	if s.cfg.ConnectionStateRecovery.MaxDisconnectionDuration > 0 {
		if st, ok := a.(adapter.SessionStore); ok {
			n.store = st
		} else {
			s.logger.Warn("gateway: connection state recovery is off for this namespace: its adapter keeps no sessions",
				"namespace", name, "adapter", fmt.Sprintf("%T", a))
		}
	}
	s.nsps[name] = n
	if parent != nil {
		parent.addChild(n)
	}
	return n, nil
}

// removeNamespace undoes the creation of an empty namespace (a failed registration).
func (s *Server) removeNamespace(n *Namespace) {
	s.mu.Lock()
	if s.nsps[n.name] != n || n.Len() > 0 {
		s.mu.Unlock()
		return
	}
	delete(s.nsps, n.name)
	s.mu.Unlock()
	n.closeAdapter()
}

// OfPattern returns a parent namespace: every namespace whose name matches re is created on
// its first CONNECT and gets the parent's middleware and connection handlers (Node's
// io.of(/regexp/)).
func (s *Server) OfPattern(re *regexp.Regexp) *ParentNamespace {
	return s.OfFunc(func(name string, _ []byte) bool { return re.MatchString(name) })
}

// OfFunc is OfPattern with a function deciding, from the name and the CONNECT auth
// payload, whether a namespace may be created.
func (s *Server) OfFunc(match func(name string, auth []byte) bool) *ParentNamespace {
	p := &ParentNamespace{srv: s, match: match, registry: registry{owner: s}, children: map[*Namespace]struct{}{}}
	s.mu.Lock()
	s.parents = append(s.parents, p)
	s.mu.Unlock()
	return p
}

// lookup finds the namespace for a CONNECT, creating a dynamic one when a parent matches.
func (s *Server) lookup(name string, auth []byte) (*Namespace, json.RawMessage) {
	// A child found while its last socket leaves cannot be used: look again, and the
	// second look creates a fresh one.
	for range 3 {
		s.mu.RLock()
		n := s.nsps[name]
		parents := s.parents
		s.mu.RUnlock()
		if n == nil {
			for _, p := range parents {
				if !p.match(name, auth) {
					continue
				}
				var err error
				if n, err = s.createNamespace(name, p); err != nil {
					if errors.Is(err, errTooManyChildren) {
						s.logger.Debug("gateway: refusing a child namespace: the pattern has its maximum",
							"namespace", name, "max", s.cfg.MaxChildNamespaces)
						return nil, tooManyNamespaces
					}
					s.logger.Error("gateway: creating dynamic namespace", "namespace", name, "err", err)
					return nil, invalidNamespace
				}
				break
			}
			if n == nil {
				return nil, invalidNamespace
			}
		}
		if n.acquire() {
			return n, nil
		}
	}
	return nil, invalidNamespace
}

func (s *Server) namespaces() []*Namespace {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Namespace, 0, len(s.nsps))
	for _, n := range s.nsps {
		out = append(out, n)
	}
	return out
}

// Use adds middleware to the main namespace "/".
func (s *Server) Use(m Middleware) { s.main.Use(m) }

// OnConnection adds a connection handler to the main namespace "/".
func (s *Server) OnConnection(h func(*Socket)) { s.main.OnConnection(h) }

// Emit sends an event to every socket of the main namespace.
func (s *Server) Emit(event string, args ...any) error { return s.main.Emit(event, args...) }

// To selects sockets of the main namespace in rooms.
func (s *Server) To(rooms ...string) BroadcastOperator { return s.main.To(rooms...) }

// Except excludes sockets of the main namespace in rooms.
func (s *Server) Except(rooms ...string) BroadcastOperator { return s.main.Except(rooms...) }

// Count returns the number of open Engine.IO connections.
func (s *Server) Count() int { return s.eio.Count() }

// Shutdown stops accepting connections, lets running handlers and pending acks finish until
// ctx ends, then disconnects every socket with "server shutting down", waits for the
// disconnect handlers that triggers (until ctx ends, or at most a second once it has),
// closes every connection, and only then closes the adapters. It returns ctx's error if
// a wait was cut short.
//
// http.Server.Shutdown does not do this: it leaves hijacked websocket connections alone.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	err := s.active.wait(ctx)
	for _, n := range s.namespaces() {
		n.closeAll(ReasonServerShuttingDown)
	}
	// The disconnect handlers just queued run before the adapters close (under fx, before
	// their dependencies stop): wait for them, until ctx ends or, when it has already,
	// for at most disconnectGrace.
	hctx := ctx
	if err != nil {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(context.Background(), disconnectGrace)
		defer cancel()
	}
	if werr := s.active.wait(hctx); werr != nil && err == nil {
		err = werr
	}
	// Polling clients between two requests get a moment to fetch the close packet.
	// Close (ctx ended) waits for no client.
	lctx, cancel := context.WithTimeout(context.Background(), pollingCloseGrace)
	if err != nil || ctx.Err() != nil {
		cancel()
	}
	s.eio.Shutdown(lctx)
	cancel()
	for _, n := range s.namespaces() {
		n.closeAdapter()
	}
	return err
}

// Close is Shutdown without waiting for handlers or clients: sockets get their DISCONNECT
// and close frame, and are dropped without waiting for an answer.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// disconnectGrace bounds the wait for disconnect handlers once Shutdown's context has
// ended (Close): they normally take no time.
const disconnectGrace = time.Second

// pollingCloseGrace bounds how long Shutdown waits for polling clients to come back for
// their close packet; they normally poll again at once.
const pollingCloseGrace = time.Second

// activity counts running handlers and pending acks, so that Shutdown can wait for them.
type activity struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to zero while someone waits
}

func (a *activity) add(d int) {
	a.mu.Lock()
	a.n += d
	if a.n == 0 && a.idle != nil {
		close(a.idle)
		a.idle = nil
	}
	a.mu.Unlock()
}

func (a *activity) wait(ctx context.Context) error {
	a.mu.Lock()
	if a.n == 0 {
		a.mu.Unlock()
		return nil
	}
	if a.idle == nil {
		a.idle = make(chan struct{})
	}
	idle := a.idle
	a.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
