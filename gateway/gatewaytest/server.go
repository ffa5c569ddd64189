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
	// URL is the base URL of the server, "http://127.0.0.1:<port>", without a namespace.
	URL string
	// Addr is the listening address, "127.0.0.1:<port>"; NewServerAt can listen there
	// again after Close, to restart a server.
	Addr string

	http *httptest.Server
	ln   *trackingListener

	closeOnce sync.Once
}

// NewServer starts a gateway.Server built from cfg and opts on a free loopback port. It
// is closed by tb.Cleanup (or earlier by Close). A configuration error fails tb.
func NewServer(tb testing.TB, cfg gateway.Config, opts ...gateway.Option) *Server {
	tb.Helper()
	return NewServerAt(tb, "127.0.0.1:0", cfg, opts...)
}

// NewServerAt is NewServer listening on addr, for instance the Addr of a server closed
// earlier, so that its clients can reconnect to a restarted server.
func NewServerAt(tb testing.TB, addr string, cfg gateway.Config, opts ...gateway.Option) *Server {
	tb.Helper()
	gw, err := gateway.NewServer(cfg, opts...)
	if err != nil {
		tb.Fatalf("gatewaytest: %v", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		_ = gw.Close()
		tb.Fatalf("gatewaytest: listen on %s: %v", addr, err)
	}
	ln := &trackingListener{Listener: l, conns: make(map[net.Conn]struct{})}
	hs := httptest.NewUnstartedServer(gw)
	hs.Listener = ln
	hs.Start()
	s := &Server{Server: gw, URL: "http://" + l.Addr().String(), Addr: l.Addr().String(), http: hs, ln: ln}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server the way a crash would: the listener and every connection
// (polling and websocket alike) are closed without a goodbye, so clients see
// "transport close" and start reconnecting. It then releases the gateway's resources.
// Close is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		_ = s.ln.Close()
		s.ln.closeAll()
		_ = s.Server.Close()
		s.http.Close()
	})
}

// DropConnections closes every open TCP connection to the server while it keeps
// listening, as a network failure would: clients see "transport close" and reconnect.
func (s *Server) DropConnections() { s.ln.closeAll() }

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
