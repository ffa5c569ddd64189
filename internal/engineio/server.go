package engineio

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sockgate/sockgate/internal/randid"
)

// defaultUpgradeGrace is short enough to release a client's GET promptly and
// long enough for a "5" already on the wire to be read first.
const defaultUpgradeGrace = 30 * time.Millisecond

// Handler receives the events of every session of a Server.
type Handler interface {
	// OnOpen is called once per new session, after the open packet has been
	// queued and before any OnMessage.
	OnOpen(c *Conn)
	// OnMessage delivers one "message" packet. Calls for one Conn never
	// overlap and come in arrival order. data belongs to the callee
	// (engineio does not reuse it); for text it is the payload without the
	// '4'. It runs on the connection's reader (websocket) or on the POST
	// request's goroutine (polling), so it must not block for long.
	OnMessage(c *Conn, data []byte, binary bool)
	// OnClose is called exactly once when the session ends, on a goroutine
	// that holds no engineio lock, after any OnMessage in progress has
	// returned; no OnMessage follows. reason is one of the Reason* constants;
	// err gives detail and may be nil.
	OnClose(c *Conn, reason string, err error)
}

// Request is the handshake data of the request that opened a session. It is
// immutable.
type Request struct {
	Header     http.Header
	Query      url.Values
	RemoteAddr string
	URL        string // request URI
	Secure     bool   // the request came over TLS
	XDomain    bool   // the request carried an Origin header
	Time       time.Time
}

// Server is an Engine.IO v4 server. It is an http.Handler for one path (the
// caller routes: ServeHTTP does not look at the path). All methods are safe
// for concurrent use.
type Server struct {
	cfg       Config
	handler   Handler
	upgrader  websocket.Upgrader
	anyOrigin bool
	upgrades  bool // polling sessions may upgrade to websocket

	// upgradeGrace is how long a GET that arrives during an upgrade waits
	// for the switch before it gets its noop (a variable for tests).
	upgradeGrace time.Duration

	// detachAfter is the period of clock: a polling GET that has waited one to two
	// periods leaves net/http (detach.go). Zero: GETs never detach (tests).
	detachAfter time.Duration
	clock       detachClock

	// wg counts every session until it has left the table and every
	// goroutine engineio started (readers, writers, OnClose calls), so
	// that Close can wait for all of them.
	wg sync.WaitGroup

	// limits admits handshakes (limits.go).
	limits *limits

	// hurry is set when Shutdown's context has ended: websockets closed by the server
	// no longer wait for the client's close frame.
	hurry atomic.Bool

	// partial is the allowance of bytes held by partial messages (MaxBufferedBytes).
	partial memBudget

	// pollers read the sockets of websocket sessions (poller_linux.go).
	pollers pollers

	// testHooks are set by tests only, before any request; each is called
	// under the Conn lock.
	testHooks struct {
		parked    func(*Conn) // a GET parks
		detached  func(*Conn) // a parked GET leaves net/http
		finalized func(*Conn) // a session leaves the table
		postRead  func(*Conn) // a POST's body has been read, before its read ends (endPostLocked)
	}

	mu       sync.RWMutex // guards the two fields below
	sessions map[string]*Conn
	closed   bool
}

// NewServer returns a Server that reports to h.
func NewServer(cfg Config, h Handler) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:      cfg,
		handler:  h,
		sessions: make(map[string]*Conn),
		upgrades: !cfg.DisableUpgrades &&
			slices.Contains(cfg.Transports, TransportPolling) &&
			slices.Contains(cfg.Transports, TransportWebSocket),
		anyOrigin:    slices.Contains(cfg.AllowedOrigins, "*"),
		upgradeGrace: defaultUpgradeGrace,
		detachAfter:  defaultDetachAfter,
	}
	s.partial.limit = cfg.MaxBufferedBytes
	s.limits = newLimits(&s.cfg)
	s.upgrader = websocket.Upgrader{
		// gorilla only answers the handshake; its connection, and the smallest
		// read buffer it allows, are dropped right after (wsread.go).
		ReadBufferSize:  1,
		WriteBufferSize: cfg.WriteBufferSize,
		// One pool per server: gorilla requires one pool per buffer size.
		WriteBufferPool:   &sync.Pool{},
		CheckOrigin:       s.checkOrigin,
		EnableCompression: false,
	}
	return s
}

// Config returns the configuration with the defaults filled in.
func (s *Server) Config() Config {
	c := s.cfg
	c.Transports = slices.Clone(c.Transports)
	c.AllowedOrigins = slices.Clone(c.AllowedOrigins)
	return c
}

// Count returns the number of open sessions.
func (s *Server) Count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}

// Close refuses new sessions and closes every session (as Conn.Close, except
// that a polling session with no parked GET is dropped at once instead of
// waiting for its next GET). It returns when every OnClose has returned and
// every goroutine of the server has ended.
func (s *Server) Close() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Shutdown(ctx)
}

// Shutdown is Close that lets polling sessions without a parked GET wait, until
// ctx ends, for their next GET to take the last packets and the close packet,
// so that their clients see the server close rather than a failed request.
func (s *Server) Shutdown(ctx context.Context) {
	// Every socket is closed by the time the pollers stop.
	defer s.pollers.stop()
	defer s.clock.close()
	s.mu.Lock()
	s.closed = true
	list := make([]*Conn, 0, len(s.sessions))
	for _, c := range s.sessions {
		list = append(list, c)
	}
	s.mu.Unlock()
	linger := ctx.Err() == nil
	if !linger {
		s.hurry.Store(true)
	}
	for _, c := range list {
		c.mu.Lock()
		c.shutLocked(ReasonForcedClose, nil, closeFlush, linger)
		c.mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	// Drop the sessions still waiting for a GET, and the websockets still waiting for
	// their client's close frame (a writer that reaches that point from now on sees
	// hurry; one that did before has set graceWait).
	s.hurry.Store(true)
	for _, c := range list {
		c.mu.Lock()
		if c.linger {
			c.finalizeLocked()
		}
		w := c.ws
		c.mu.Unlock()
		if w != nil && w.graceWait.Load() {
			w.close()
		}
	}
	<-done
}

// ServeHTTP serves every Engine.IO request: handshakes, polling GET and POST,
// websocket handshakes and upgrades, CORS preflights.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		s.preflight(w, r)
		return
	}
	s.setCORS(w.Header(), r)
	raw := r.URL.RawQuery
	if queryValue(raw, "EIO") != "4" {
		writeError(w, http.StatusBadRequest, CodeUnsupportedProtocolVersion)
		return
	}
	transport := queryValue(raw, "transport")
	if !s.transportAllowed(transport) {
		writeError(w, http.StatusBadRequest, CodeUnknownTransport)
		return
	}
	sid := queryValue(raw, "sid")
	if sid == "" {
		s.handshake(w, r, transport)
		return
	}
	c := s.lookup(sid)
	if c == nil {
		writeError(w, http.StatusBadRequest, CodeUnknownSID)
		return
	}
	if transport == TransportWebSocket {
		if !websocket.IsWebSocketUpgrade(r) {
			writeError(w, http.StatusBadRequest, CodeBadRequest)
			return
		}
		s.upgrade(w, r, c)
		return
	}
	switch r.Method {
	case http.MethodGet:
		c.pollGet(w, r)
	case http.MethodPost:
		c.pollPost(w, r)
	default:
		writeError(w, http.StatusBadRequest, CodeBadRequest)
	}
}

func (s *Server) handshake(w http.ResponseWriter, r *http.Request, transport string) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusBadRequest, CodeBadHandshakeMethod)
		return
	}
	if transport == TransportWebSocket && !websocket.IsWebSocketUpgrade(r) {
		writeError(w, http.StatusBadRequest, CodeBadRequest)
		return
	}
	if s.cfg.AllowRequest != nil {
		if err := s.cfg.AllowRequest(r); err != nil {
			writeError(w, http.StatusForbidden, CodeForbidden)
			return
		}
	}
	if s.isClosed() {
		writeError(w, http.StatusServiceUnavailable, CodeBadRequest)
		return
	}
	addr := addrKey(r.RemoteAddr)
	if ref := s.limits.admit(addr, time.Now()); ref != nil {
		ref.write(w)
		return
	}
	sid := randid.New()
	var cookie http.Header
	if s.cfg.Cookie != "" {
		cookie = http.Header{"Set-Cookie": {s.cfg.Cookie + "=" + sid + "; Path=/; HttpOnly; SameSite=Lax"}}
	}
	if transport == TransportWebSocket {
		ws, err := s.upgrader.Upgrade(w, r, cookie)
		if err != nil {
			s.limits.ended(addr, true)
			return // the upgrader has answered
		}
		s.openWebSocket(ws, r, sid, addr)
		return
	}
	c := s.register(r, sid, addr, nil)
	if c == nil {
		writeError(w, http.StatusServiceUnavailable, CodeBadRequest)
		return
	}
	for k, v := range cookie {
		w.Header()[k] = v
	}
	c.mu.Lock()
	c.queue = append(c.queue, newMessage(appendOpenPacket(nil, sid, s.upgrades, &s.cfg), false))
	c.mu.Unlock()
	s.handler.OnOpen(c)
	c.pollGet(w, r)
}

// register creates a session and adds it to the table, or returns nil when
// the server is closed. ws is the socket of a websocket session, nil for
// polling. For websocket sessions the socket's share of the wait group
// (released when it closes) is taken here, while the session is sure to hold
// one.
func (s *Server) register(r *http.Request, sid, addr string, ws *wsConn) *Conn {
	now := time.Now()
	if r.Host != "" && r.Header.Get("Host") == "" {
		// net/http moves the Host header into r.Host; Node's handshake headers (and so
		// the handshakes other nodes fetch) keep it.
		r.Header["Host"] = []string{r.Host}
	}
	c := &Conn{
		srv: s,
		id:  sid,
		req: &Request{
			Header:     r.Header,
			Query:      r.URL.Query(),
			RemoteAddr: r.RemoteAddr,
			URL:        r.RequestURI,
			Secure:     r.TLS != nil,
			XDomain:    r.Header.Get("Origin") != "",
			Time:       now,
		},
		transport: TransportPolling,
		addr:      addr,
		pending:   true,
	}
	if ws != nil {
		c.transport = TransportWebSocket
		c.ws = ws
		c.b64 = queryValue(r.URL.RawQuery, "b64") == "1"
	}
	// The heartbeat starts at handshake time, not at the first GET.
	c.hbAt = now.Add(s.cfg.PingInterval)
	c.timer = time.AfterFunc(s.cfg.PingInterval, c.onTimer)
	if s.cfg.JoinTimeout > 0 {
		c.joinTimer = time.AfterFunc(s.cfg.JoinTimeout, c.onJoinTimeout)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.mu.Lock()
		c.finalized = true // a timer callback already under way does nothing
		c.closed = true
		c.timer.Stop()
		c.releaseLimitsLocked()
		c.mu.Unlock()
		return nil
	}
	s.sessions[sid] = c
	if ws != nil {
		s.wg.Add(2)
		ws.release = s.wg.Done
	} else {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	return c
}

func (s *Server) lookup(sid string) *Conn {
	s.mu.RLock()
	c := s.sessions[sid]
	s.mu.RUnlock()
	return c
}

func (s *Server) remove(c *Conn) {
	s.mu.Lock()
	if s.sessions[c.id] == c {
		delete(s.sessions, c.id)
	}
	s.mu.Unlock()
}

func (s *Server) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

func (s *Server) transportAllowed(t string) bool {
	return (t == TransportPolling || t == TransportWebSocket) && slices.Contains(s.cfg.Transports, t)
}

// queryValue returns the first value of key in a raw query without building
// a url.Values, since every polling request needs only two or three keys.
func queryValue(raw, key string) string {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k != key {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			u, err := url.QueryUnescape(v)
			if err != nil {
				return ""
			}
			return u
		}
		return v
	}
	return ""
}

// Header values shared by every response, so that setting them allocates nothing.
var (
	hdrTextPlain = []string{"text/plain; charset=UTF-8"}
	hdrNoStore   = []string{"no-store"}
	hdrJSON      = []string{"application/json"}
	hdrHTML      = []string{"text/html"}
	hdrTrue      = []string{"true"}
	hdrAnyOrigin = []string{"*"}
	hdrMethods   = []string{"GET,POST,OPTIONS"}
	hdrLen2      = []string{"2"}
	hdrClose     = []string{"close"}
	bodyOK       = []byte("ok")
)

func writeError(w http.ResponseWriter, status, code int) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	w.WriteHeader(status)
	_, _ = w.Write(errorBodies[code])
}

// allowedOrigin reports the Origin to echo in CORS headers, if any.
// "*" is any origin without credentials, as Node's cors answers it: a response any page
// may read must not be one made with the user's cookies. Credentials go only to the
// origins of an explicit list, each echoed.
func (s *Server) allowedOrigin(r *http.Request) (string, bool) {
	if len(s.cfg.AllowedOrigins) == 0 {
		return "", false
	}
	if s.anyOrigin {
		return "*", true
	}
	origin := r.Header.Get("Origin")
	if origin != "" && slices.Contains(s.cfg.AllowedOrigins, origin) {
		return origin, true
	}
	return "", false
}

func (s *Server) setCORS(h http.Header, r *http.Request) {
	origin, ok := s.allowedOrigin(r)
	if !ok {
		return
	}
	if s.anyOrigin {
		h["Access-Control-Allow-Origin"] = hdrAnyOrigin
		return
	}
	h["Access-Control-Allow-Origin"] = []string{origin}
	h["Access-Control-Allow-Credentials"] = hdrTrue
	h.Add("Vary", "Origin")
}

func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if _, ok := s.allowedOrigin(r); ok {
		s.setCORS(h, r)
		h["Access-Control-Allow-Methods"] = hdrMethods
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
			h.Add("Vary", "Access-Control-Request-Headers")
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkOrigin is the websocket Origin check (browsers apply no CORS there): no Origin
// (not a browser), the server's own origin, or an allowed one.
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || s.anyOrigin {
		return true
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.Contains(s.cfg.AllowedOrigins, origin)
}
