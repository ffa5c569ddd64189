package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// managerState is the state of the Manager's Engine.IO connection.
type managerState int

const (
	stateClosed  managerState = iota // no connection
	stateOpening                     // handshake in progress
	stateOpen                        // connected
)

// Manager is one Engine.IO connection to a server, with the sockets (one per namespace)
// multiplexed over it, as the JavaScript client's Manager. It opens the connection when
// a socket connects, closes it when no socket is left, and reconnects with backoff.
//
// Every method is safe for concurrent use. Handlers run on the Manager's event goroutine,
// see the package documentation.
type Manager struct {
	opts   Options
	logger *slog.Logger
	// httpBase and wsBase are the endpoint URLs with the fixed part of the query
	// (the user's parameters and EIO=4), ready for the per-request parameters.
	httpBase string
	wsBase   string
	httpc    *http.Client
	ownHTTP  *http.Transport // nil when the user gave the client
	dialer   *websocket.Dialer

	handlers registry[func(ManagerEvent)]
	disp     dispatcher

	// wg counts the connection goroutines (handshake and reader, writer, upgrade probe).
	// Add happens under mu and only while !closed, so that Close can Wait.
	wg sync.WaitGroup

	// mu guards everything below, the state of the engines (engine fields marked so) and
	// the state of the sockets (Socket fields marked so). It is never held during network
	// i/o or while running handlers.
	mu            sync.Mutex
	closed        bool // Close was called; final
	state         managerState
	eng           *engine // current connection; nil when closed
	sockets       map[string]*Socket
	skipReconnect bool
	reconnecting  bool
	backoff       backoff
	timer         *time.Timer // pending reconnection attempt
}

// New returns a Manager for the server at rawURL (http, https, ws or wss; its path is
// ignored: namespaces are chosen with Manager.Socket). It does not connect: sockets do.
func New(rawURL string, opts Options) (*Manager, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("client: server URL: %w", err)
	}
	var httpScheme, wsScheme string
	switch u.Scheme {
	case "http", "ws":
		httpScheme, wsScheme = "http", "ws"
	case "https", "wss":
		httpScheme, wsScheme = "https", "wss"
	default:
		return nil, fmt.Errorf("client: server URL %q: scheme must be http, https, ws or wss", rawURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("client: server URL %q has no host", rawURL)
	}
	q := u.Query()
	for k, vs := range opts.Query {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	// The protocol's own parameters are set per request.
	for _, k := range []string{"EIO", "transport", "sid", "t"} {
		q.Del(k)
	}
	query := "EIO=4"
	if enc := q.Encode(); enc != "" {
		query = enc + "&" + query
	}
	endpoint := "://" + u.Host + opts.Path + "?" + query

	m := &Manager{
		opts:     opts,
		logger:   opts.Logger,
		httpBase: httpScheme + endpoint,
		wsBase:   wsScheme + endpoint,
		sockets:  make(map[string]*Socket),
		backoff: backoff{
			min:    opts.ReconnectionDelay,
			max:    opts.ReconnectionDelayMax,
			jitter: opts.RandomizationFactor,
		},
	}
	m.disp.init(m, opts.EventQueueSize)
	m.httpc = opts.HTTPClient
	if m.httpc == nil && opts.allows(TransportPolling) {
		m.ownHTTP = newHTTPTransport()
		m.httpc = &http.Client{Transport: m.ownHTTP, Jar: opts.Jar}
	}
	m.dialer = opts.Dialer
	if m.dialer == nil {
		m.dialer = newDialer(opts.Jar)
	}
	return m, nil
}

// Dial connects to the namespace named by the path of rawURL ("/" when empty), like io(url)
// in JavaScript: it creates a Manager and its socket, and waits until the socket is
// connected, the server refuses it, reconnection gives up, or ctx ends. On failure the
// Manager is closed. Close the socket (which closes its Manager) when done.
//
// Handlers added after Dial returns may miss what the server emits right after the
// connection; to add them first, use New, Manager.Socket, Socket.On and Socket.Connect.
func Dial(ctx context.Context, rawURL string, opts Options) (*Socket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("client: server URL: %w", err)
	}
	nsp := u.Path
	if nsp == "" {
		nsp = "/"
	}
	m, err := New(rawURL, opts)
	if err != nil {
		return nil, err
	}
	s, err := m.Socket(nsp)
	if err == nil {
		err = s.Connect(ctx)
	}
	if err != nil {
		_ = m.Close()
		return nil, err
	}
	return s, nil
}

// Socket returns the socket of namespace nsp, creating it on first use; a later call
// returns the same socket and ignores opts. A new socket is not connected: add its
// handlers, then call Connect. The socket uses the Manager's Options.Auth and AuthFunc
// unless opts gives its own.
func (m *Manager) Socket(nsp string, opts ...SocketOptions) (*Socket, error) {
	if !strings.HasPrefix(nsp, "/") {
		nsp = "/" + nsp
	}
	if strings.ContainsRune(nsp, ',') {
		return nil, fmt.Errorf("client: namespace %q: a comma ends a namespace on the wire", nsp)
	}
	so := SocketOptions{Auth: m.opts.Auth, AuthFunc: m.opts.AuthFunc}
	if len(opts) > 0 {
		so = opts[0]
	}
	var auth []byte
	if so.AuthFunc == nil && so.Auth != nil {
		var err error
		if auth, err = encodeAuth(so.Auth); err != nil {
			return nil, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if s := m.sockets[nsp]; s != nil {
		return s, nil
	}
	s := &Socket{m: m, nsp: nsp, auth: auth, authFunc: so.AuthFunc}
	m.sockets[nsp] = s
	return s, nil
}

// On registers fn for the Manager event named event (one of the Event* constants of the
// Manager) and returns a function that removes it.
func (m *Manager) On(event string, fn func(ManagerEvent)) (off func()) {
	return m.handlers.add(event, fn, false)
}

// Once is On for the next occurrence only.
func (m *Manager) Once(event string, fn func(ManagerEvent)) (off func()) {
	return m.handlers.add(event, fn, true)
}

// Off removes every handler of event.
func (m *Manager) Off(event string) { m.handlers.removeAll(event) }

// Transport returns the transport of the current connection, "" when there is none.
func (m *Manager) Transport() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.eng == nil || m.state != stateOpen {
		return ""
	}
	return m.eng.transport
}

// Close disconnects every socket ("io client disconnect"), closes the connection after
// writing what is queued, stops reconnecting, and waits for the Manager's goroutines and
// for the handlers already queued. Called from a handler, it does not wait for that
// handler. The Manager cannot be used afterwards. Close is idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		m.skipReconnect = true
		m.reconnecting = false
		m.stopTimerLocked()
		for _, s := range m.sockets {
			s.disconnectLocked(ErrClosed)
			s.dropSendBufLocked(ErrClosed)
		}
		if m.eng != nil {
			m.detachLocked(ReasonForcedClose)
		}
	}
	m.mu.Unlock()
	m.wg.Wait()
	m.disp.close()
	m.disp.wait()
	if m.ownHTTP != nil {
		m.ownHTTP.CloseIdleConnections()
	}
	return nil
}

// post queues an event for a socket's handlers.
func (m *Manager) post(s *Socket, ev *Event) { m.disp.post(item{s: s, ev: ev}) }

// emit queues a Manager event.
func (m *Manager) emit(ev ManagerEvent) { m.disp.post(item{mev: ev}) }

// openLocked starts a connection unless one is open or opening, like the JavaScript
// Manager's open.
func (m *Manager) openLocked(reconnect bool) {
	if m.closed || m.state != stateClosed {
		return
	}
	e := newEngine(m, reconnect)
	m.eng = e
	m.state = stateOpening
	m.skipReconnect = false
	m.wg.Add(1)
	go e.run()
}

// openedLocked records a completed handshake and returns the sockets that must send
// their CONNECT.
func (m *Manager) openedLocked(e *engine) []*Socket {
	m.state = stateOpen
	m.emit(ManagerEvent{Name: EventOpen})
	var socks []*Socket
	for _, s := range m.sockets {
		if s.active {
			socks = append(socks, s)
		}
	}
	if e.reconnect {
		attempt := m.backoff.attempts
		m.reconnecting = false
		m.backoff.reset()
		m.emit(ManagerEvent{Name: EventReconnect, Attempt: attempt})
	}
	return socks
}

// openFailedLocked handles a handshake that did not complete.
func (m *Manager) openFailedLocked(e *engine, err error) {
	m.eng = nil
	m.state = stateClosed
	m.emit(ManagerEvent{Name: EventError, Err: err})
	for _, s := range m.sockets {
		if s.active && !s.connected {
			s.lastErr = err
			m.post(s, &Event{Name: EventConnectError, Err: err, socket: s})
		}
	}
	if e.reconnect {
		m.reconnecting = false
		m.emit(ManagerEvent{Name: EventReconnectError, Err: err})
		m.reconnectLocked()
	} else if !m.reconnecting && !m.opts.DisableReconnection && m.backoff.attempts == 0 {
		m.reconnectLocked()
	}
	if !m.reconnecting {
		m.failWaitersLocked(err)
	}
}

// closedLocked handles the loss of an open connection, like the JavaScript Manager's
// onclose: every socket is told, and a reconnection is scheduled.
func (m *Manager) closedLocked(reason string, err error) {
	m.eng = nil
	m.state = stateClosed
	m.backoff.reset()
	m.emit(ManagerEvent{Name: EventClose, Reason: reason, Err: err})
	for _, s := range m.sockets {
		if s.active {
			s.oncloseLocked(reason)
		}
	}
	if !m.opts.DisableReconnection && !m.skipReconnect {
		m.reconnectLocked()
	}
	if !m.reconnecting {
		cause := err
		if cause == nil {
			cause = errors.New(reason)
		}
		m.failWaitersLocked(fmt.Errorf("%w: %w", ErrDisconnected, cause))
	}
}

// reconnectLocked schedules the next reconnection attempt, or gives up.
func (m *Manager) reconnectLocked() {
	if m.reconnecting || m.skipReconnect || m.closed {
		return
	}
	if max := m.opts.ReconnectionAttempts; max > 0 && m.backoff.attempts >= max {
		m.backoff.reset()
		m.emit(ManagerEvent{Name: EventReconnectFailed})
		m.failWaitersLocked(ErrReconnectFailed)
		return
	}
	delay := m.backoff.duration()
	m.reconnecting = true
	m.timer = time.AfterFunc(delay, m.attempt)
}

// attempt runs when a reconnection delay ends.
func (m *Manager) attempt() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.timer = nil
	if m.skipReconnect || m.closed || !m.reconnecting {
		return
	}
	m.emit(ManagerEvent{Name: EventReconnectAttempt, Attempt: m.backoff.attempts})
	m.openLocked(true)
}

func (m *Manager) stopTimerLocked() {
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
}

// destroyLocked is called when socket s stops being active; the connection is closed when
// no active socket is left, as in the JavaScript client.
func (m *Manager) destroyLocked() {
	for _, s := range m.sockets {
		if s.active {
			return
		}
	}
	m.skipReconnect = true
	m.reconnecting = false
	m.stopTimerLocked()
	m.backoff.reset()
	if m.eng != nil {
		m.detachLocked(ReasonForcedClose)
	}
}

// detachLocked closes the current connection on the client's initiative: it is detached
// from the Manager at once (a new one may open) and closes after writing what is queued.
func (m *Manager) detachLocked(reason string) {
	e := m.eng
	m.eng = nil
	wasOpen := m.state == stateOpen
	m.state = stateClosed
	e.shutdownLocked()
	if wasOpen {
		m.emit(ManagerEvent{Name: EventClose, Reason: reason})
	}
}

// failWaitersLocked ends every Connect wait with err: no connection will come by itself.
func (m *Manager) failWaitersLocked(err error) {
	for _, s := range m.sockets {
		s.notifyLocked(err)
	}
}
