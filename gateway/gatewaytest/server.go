package gatewaytest

import (
	"net"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/sockgate/sockgate/gateway"
)

// Server is a gateway.Server serving on a loopback port, for tests. The embedded
// *gateway.Server is the one to configure: Of, Use, OnConnection and the rest.
type Server struct {
	*gateway.Server
	// URL is the base URL of the server, "http://127.0.0.1:<port>", without a namespace;
	// empty until the server is started.
	URL string
	// Addr is the listening address, "127.0.0.1:<port>"; NewServerAt can listen there
	// again after Close, to restart a server.
	Addr string

	tb   testing.TB
	http *httptest.Server
	ln   *trackingListener

	closeOnce sync.Once
	released  chan struct{} // closed when Close has released the gateway
}

// NewServer starts a gateway.Server built from cfg and opts on a free loopback port. It
// is closed by tb.Cleanup (or earlier by Close), which waits for its goroutines. A
// configuration error fails tb.
func NewServer(tb testing.TB, cfg gateway.Config, opts ...gateway.Option) *Server {
	tb.Helper()
	s := NewUnstartedServer(tb, cfg, opts...)
	s.Start()
	return s
}

// NewServerAt is NewServer listening on addr, for instance the Addr of a server closed
// earlier. Clients that are already reconnecting may connect as soon as it listens: to
// restart a server with its handlers in place, use NewUnstartedServer and StartAt.
func NewServerAt(tb testing.TB, addr string, cfg gateway.Config, opts ...gateway.Option) *Server {
	tb.Helper()
	s := NewUnstartedServer(tb, cfg, opts...)
	s.StartAt(addr)
	return s
}

// NewUnstartedServer builds the server without listening yet, so that its handlers can be
// added first; Start or StartAt starts it. It is closed by tb.Cleanup.
func NewUnstartedServer(tb testing.TB, cfg gateway.Config, opts ...gateway.Option) *Server {
	tb.Helper()
	gw, err := gateway.NewServer(cfg, opts...)
	if err != nil {
		tb.Fatalf("gatewaytest: %v", err)
	}
	s := &Server{Server: gw, tb: tb}
	tb.Cleanup(s.CloseWait)
	return s
}

// Start listens on a free loopback port.
func (s *Server) Start() {
	s.tb.Helper()
	s.StartAt("127.0.0.1:0")
}

// StartAt listens on addr. A listening error fails the test.
func (s *Server) StartAt(addr string) {
	s.tb.Helper()
	if s.http != nil {
		s.tb.Fatalf("gatewaytest: server already started at %s", s.Addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		s.tb.Fatalf("gatewaytest: listen on %s: %v", addr, err)
	}
	s.ln = &trackingListener{Listener: l, conns: make(map[net.Conn]struct{})}
	s.http = httptest.NewUnstartedServer(s.Server)
	_ = s.http.Listener.Close() // the one httptest opened, replaced by ours
	s.http.Listener = s.ln
	s.http.Start()
	s.Addr = l.Addr().String()
	s.URL = "http://" + s.Addr
}

// Close stops the server the way a crash would: the listener and every connection
// (polling and websocket alike) are closed without a goodbye, so clients see
// "transport close" and start reconnecting, and the address is free for NewServerAt at
// once. The gateway's own resources are released in the background; the test's cleanup
// waits for that. Close is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		if s.ln != nil {
			_ = s.ln.Close()
			s.ln.closeAll()
		}
		s.released = make(chan struct{})
		go func() {
			defer close(s.released)
			_ = s.Server.Close()
			if s.http != nil {
				s.http.Close()
			}
		}()
	})
}

// CloseWait is Close followed by a wait until the gateway has released everything.
func (s *Server) CloseWait() {
	s.Close()
	<-s.released
}

// DropConnections closes every open TCP connection to the server while it keeps
// listening, as a network failure would: clients see "transport close" and reconnect.
func (s *Server) DropConnections() {
	if s.ln != nil {
		s.ln.closeAll()
	}
}

// trackingListener remembers the connections it accepts, including those that
// httptest.Server forgets once they are hijacked by a websocket upgrade.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
}

func (l *trackingListener) closeAll() {
	l.mu.Lock()
	conns := make([]net.Conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

type trackedConn struct {
	net.Conn
	l    *trackingListener
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
