package interoptest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// Options configure Driver.Connect. The zero value is socket.io-client's defaults on
// namespace "/": polling first, then an upgrade to websocket, reconnection on.
type Options struct {
	// Namespace is the namespace to connect to. Zero: "/".
	Namespace string
	// Manager opens the socket on an existing Manager, multiplexed over its Engine.IO
	// connection; the url and the manager's options below (all but Auth and the socket
	// options in Extra: "ackTimeout", "retries") are then ignored.
	Manager *Manager
	// Transports is the client's transports option. Zero: the client's default, polling
	// then websocket.
	Transports []string
	// Path is the server's path. Zero: the client's default, "/socket.io".
	Path string
	// Auth is the CONNECT payload (socket.auth). Zero: none.
	Auth any
	// NoReconnection turns the client's reconnection off.
	NoReconnection bool
	// ReconnectionDelay and ReconnectionDelayMax bound the backoff between attempts. Zero:
	// the client's defaults, 1s and 5s.
	ReconnectionDelay    time.Duration
	ReconnectionDelayMax time.Duration
	// Trace records every Engine.IO packet the manager sends ("packetCreate") and receives
	// ("packet") as engine records of [type, data].
	Trace bool
	// Extra holds further client options, passed as they are (for example
	// "randomizationFactor", "query", "extraHeaders", "ackTimeout", "retries", "upgrade").
	Extra map[string]any
}

func (o Options) clientOptions() map[string]any {
	m := make(map[string]any, len(o.Extra)+6)
	for k, v := range o.Extra {
		m[k] = v
	}
	if o.Transports != nil {
		m["transports"] = o.Transports
	}
	if o.Path != "" {
		m["path"] = o.Path
	}
	if o.Auth != nil {
		m["auth"] = o.Auth
	}
	if o.NoReconnection {
		m["reconnection"] = false
	}
	if o.ReconnectionDelay > 0 {
		m["reconnectionDelay"] = o.ReconnectionDelay.Milliseconds()
	}
	if o.ReconnectionDelayMax > 0 {
		m["reconnectionDelayMax"] = o.ReconnectionDelayMax.Milliseconds()
	}
	return m
}

// Record is one thing the Node client's listeners saw.
type Record struct {
	// Seq orders all records of a driver.
	Seq int `json:"seq"`
	// Source is "socket" (connect, connect_error, disconnect and every event the server
	// sent), "manager" (open, close, error, ping, reconnect_attempt, reconnect,
	// reconnect_error, reconnect_failed) or "engine" (upgrade, upgradeError, close and,
	// with Options.Trace, packet and packetCreate).
	Source string `json:"source"`
	// Target names the socket or the manager.
	Target string `json:"target"`
	// Event is the event name: a lifecycle event or, with User set, a server event.
	Event string `json:"event"`
	// Args are the listener's arguments: the event's arguments; {message, data} for
	// connect_error; [reason, description] for disconnect and close; the attempt number
	// for reconnect_attempt and reconnect.
	Args Values `json:"args"`
	// User marks events the server emitted.
	User bool `json:"user"`
	// Ack says the server asked for an acknowledgement (answered by Socket.Reply rules).
	Ack bool `json:"ack"`
	// Info is the socket's state when a lifecycle event happened.
	Info *Info `json:"info"`

	taken bool // returned by a wait already
}

func (r *Record) String() string {
	s := fmt.Sprintf("#%d %s %s: %q %v", r.Seq, r.Source, r.Target, r.Event, r.Args)
	if r.Ack {
		s += " (wants ack)"
	}
	return s
}

// Info is a socket's state as the client sees it.
type Info struct {
	// ID is socket.id, the server's socket id; empty while disconnected.
	ID        string `json:"id"`
	Connected bool   `json:"connected"`
	// Active is socket.active: false once the socket will not reconnect by itself (a
	// server disconnect, a refused CONNECT, a client disconnect).
	Active    bool `json:"active"`
	Recovered bool `json:"recovered"`
	// EngineID is the Engine.IO session id of the socket's manager.
	EngineID string `json:"engineId"`
	// Transport is socket.io.engine.transport.name: "polling" or "websocket".
	Transport    string `json:"transport"`
	ManagerState string `json:"managerState"`
}

// ConnectError is what a connect_error listener receives.
type ConnectError struct {
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	// Type and Description are set for transport failures rather than refusals.
	Type        string          `json:"type"`
	Description json.RawMessage `json:"description"`
}

// Manager is a socket.io-client Manager: one Engine.IO connection, its reconnection
// logic, and the sockets multiplexed over it.
type Manager struct {
	d    *Driver
	tb   testing.TB
	name string
}

// Socket is a socket.io-client Socket in the driver, bound to the test that opened it.
type Socket struct {
	d       *Driver
	tb      testing.TB
	name    string
	nsp     string
	manager *Manager
}

// Connect opens a socket to the server at url (such as "http://127.0.0.1:3000") and
// returns at once; wait for "connect" or "connect_error" with WaitConnect or
// WaitConnectError. The socket's manager is closed in tb.Cleanup.
func (d *Driver) Connect(tb testing.TB, url string, o Options) *Socket {
	tb.Helper()
	name := d.socketName()
	nsp := o.Namespace
	if nsp == "" {
		nsp = "/"
	}
	// The driver takes the socket's own options (auth, ackTimeout, retries) from these
	// and ignores the manager's when the manager exists already.
	cmd := map[string]any{"cmd": "connect", "socket": name, "namespace": nsp, "options": o.clientOptions()}
	m := o.Manager
	if m == nil {
		m = &Manager{d: d, tb: tb, name: d.managerName()}
		cmd["url"] = url
		cmd["trace"] = o.Trace
		tb.Cleanup(m.close)
	}
	cmd["manager"] = m.name
	d.mustCall(tb, cmd)
	return &Socket{d: d, tb: tb, name: name, nsp: nsp, manager: m}
}

// Name returns the socket's name in records.
func (s *Socket) Name() string { return s.name }

// Manager returns the socket's manager, to open more namespaces on its connection.
func (s *Socket) Manager() *Manager { return s.manager }

func (s *Socket) what(event string) string {
	return fmt.Sprintf("%q on socket %s (namespace %s)", event, s.name, s.nsp)
}

// Emit emits event with args (socket.emit). Bin values anywhere in args are sent as
// binary attachments.
func (s *Socket) Emit(event string, args ...any) {
	s.tb.Helper()
	s.emit(event, args, false)
}

// EmitVolatile is Emit with the volatile flag (socket.volatile.emit).
func (s *Socket) EmitVolatile(event string, args ...any) {
	s.tb.Helper()
	s.emit(event, args, true)
}

func (s *Socket) emit(event string, args []any, volatile bool) {
	s.tb.Helper()
	raw, err := marshalArgs(args)
	if err != nil {
		s.tb.Fatal(err)
	}
	s.d.mustCall(s.tb, map[string]any{"cmd": "emit", "socket": s.name, "event": event,
		"args": raw, "volatile": volatile})
}

// EmitWithAck emits event with args and an acknowledgement callback, with the client's
// timeout (socket.timeout(ms).emit(event, ...args, cb)). It returns every argument of the
// acknowledgement, or the client's error, such as "operation has timed out".
func (s *Socket) EmitWithAck(timeout time.Duration, event string, args ...any) (Values, error) {
	s.tb.Helper()
	raw, err := marshalArgs(args)
	if err != nil {
		s.tb.Fatal(err)
	}
	v, err := s.d.call(s.tb, map[string]any{"cmd": "emitWithAck", "socket": s.name, "event": event,
		"args": raw, "timeout": timeout.Milliseconds()}, timeout+callTimeout)
	if err != nil {
		return nil, fmt.Errorf("interoptest: emitWithAck %q: %w", event, err)
	}
	var out Values
	if err := json.Unmarshal(v, &out); err != nil {
		s.tb.Fatalf("interoptest: acknowledgement of %q: %v", event, err)
	}
	return out, nil
}

// Reply makes the client answer every acknowledgement the server asks for with event by
// calling the ack with args.
func (s *Socket) Reply(event string, args ...any) {
	s.tb.Helper()
	raw, err := marshalArgs(args)
	if err != nil {
		s.tb.Fatal(err)
	}
	s.d.mustCall(s.tb, map[string]any{"cmd": "reply", "socket": s.name, "event": event, "args": raw})
}

// Echo makes the client answer acknowledgements for event with the event's own arguments.
func (s *Socket) Echo(event string) {
	s.tb.Helper()
	s.d.mustCall(s.tb, map[string]any{"cmd": "reply", "socket": s.name, "event": event, "echo": true})
}

// Disconnect disconnects the socket (socket.disconnect()).
func (s *Socket) Disconnect() {
	s.tb.Helper()
	s.d.mustCall(s.tb, map[string]any{"cmd": "disconnect", "socket": s.name})
}

// DropConnection closes the Engine.IO connection under the socket as a lost network would
// (socket.io.engine.close()): the server sees "transport close", the client "transport
// close" too, and its manager reconnects by itself unless reconnection is off.
func (s *Socket) DropConnection() {
	s.tb.Helper()
	s.d.mustCall(s.tb, map[string]any{"cmd": "drop", "socket": s.name})
}

// Open connects the socket again after a disconnect (socket.connect()).
func (s *Socket) Open() {
	s.tb.Helper()
	s.d.mustCall(s.tb, map[string]any{"cmd": "open", "socket": s.name})
}

// Info returns the socket's current state.
func (s *Socket) Info() Info {
	s.tb.Helper()
	v := s.d.mustCall(s.tb, map[string]any{"cmd": "info", "socket": s.name})
	var info Info
	if err := json.Unmarshal(v, &info); err != nil {
		s.tb.Fatalf("interoptest: info: %v", err)
	}
	return info
}

func (s *Socket) mine(r *Record) bool { return r.Source == "socket" && r.Target == s.name }

// WaitEvent waits for the next record of event on this socket not returned by an earlier
// wait: a server event or connect, connect_error, disconnect. On timeout it fails the
// test, listing what the socket received instead.
func (s *Socket) WaitEvent(event string, timeout time.Duration) *Record {
	s.tb.Helper()
	return s.d.wait(s.tb, timeout, s.what(event),
		func(r *Record) bool { return s.mine(r) && r.Event == event }, s.mine)
}

// WaitConnect waits for "connect" and returns the socket's state at that moment.
func (s *Socket) WaitConnect(timeout time.Duration) Info {
	s.tb.Helper()
	r := s.WaitEvent("connect", timeout)
	if r.Info == nil {
		s.tb.Fatalf("interoptest: connect record without state: %v", r)
	}
	return *r.Info
}

// WaitConnectError waits for "connect_error" and returns the error.
func (s *Socket) WaitConnectError(timeout time.Duration) ConnectError {
	s.tb.Helper()
	r := s.WaitEvent("connect_error", timeout)
	var ce ConnectError
	if err := r.Args.Decode(0, &ce); err != nil {
		s.tb.Fatalf("interoptest: connect_error %v: %v", r.Args, err)
	}
	return ce
}

// WaitDisconnect waits for "disconnect" and returns its reason.
func (s *Socket) WaitDisconnect(timeout time.Duration) string {
	s.tb.Helper()
	r := s.WaitEvent("disconnect", timeout)
	var reason string
	if err := r.Args.Decode(0, &reason); err != nil {
		s.tb.Fatalf("interoptest: disconnect %v: %v", r.Args, err)
	}
	return reason
}

// Events returns every record of event on this socket so far, waited for or not.
func (s *Socket) Events(event string) []Record {
	return s.d.filter(func(r *Record) bool { return s.mine(r) && r.Event == event })
}

// Close closes the socket's manager, and with it every socket on it.
func (s *Socket) Close() { s.manager.close() }

// Name returns the manager's name in records.
func (m *Manager) Name() string { return m.name }

func (m *Manager) from(source string) func(*Record) bool {
	return func(r *Record) bool { return r.Source == source && r.Target == m.name }
}

func (m *Manager) related(r *Record) bool {
	return (r.Source == "manager" || r.Source == "engine") && r.Target == m.name
}

// WaitEvent waits for the next manager event not returned by an earlier wait, such as
// "reconnect_attempt" or "reconnect".
func (m *Manager) WaitEvent(event string, timeout time.Duration) *Record {
	m.tb.Helper()
	mine := m.from("manager")
	return m.d.wait(m.tb, timeout, fmt.Sprintf("manager event %q on %s", event, m.name),
		func(r *Record) bool { return mine(r) && r.Event == event }, m.related)
}

// WaitEngineEvent waits for the next Engine.IO event of the manager's connection not
// returned by an earlier wait: "upgrade", "upgradeError", "close", and with Trace "packet"
// and "packetCreate".
func (m *Manager) WaitEngineEvent(event string, timeout time.Duration) *Record {
	m.tb.Helper()
	mine := m.from("engine")
	return m.d.wait(m.tb, timeout, fmt.Sprintf("engine event %q on %s", event, m.name),
		func(r *Record) bool { return mine(r) && r.Event == event }, m.related)
}

// Events returns every manager event called event so far.
func (m *Manager) Events(event string) []Record {
	mine := m.from("manager")
	return m.d.filter(func(r *Record) bool { return mine(r) && r.Event == event })
}

// EngineEvents returns every Engine.IO event called event so far.
func (m *Manager) EngineEvents(event string) []Record {
	mine := m.from("engine")
	return m.d.filter(func(r *Record) bool { return mine(r) && r.Event == event })
}

// Sent returns the Engine.IO message payloads the manager has written so far (with
// Trace), such as `2/chat,0["hello"]` for a Socket.IO EVENT with ack id 0.
func (m *Manager) Sent() []string { return m.messages("packetCreate") }

// Received returns the Engine.IO message payloads the manager has read so far (with
// Trace).
func (m *Manager) Received() []string { return m.messages("packet") }

func (m *Manager) messages(event string) []string {
	var out []string
	for _, r := range m.EngineEvents(event) {
		var typ string
		var data string
		if r.Args.Decode(0, &typ) != nil || typ != "message" || r.Args.Decode(1, &data) != nil {
			continue
		}
		out = append(out, data)
	}
	return out
}

// Close closes the manager and every socket on it. Closing twice is harmless.
func (m *Manager) Close() { m.close() }

func (m *Manager) close() {
	select {
	case <-m.d.exited:
		return
	default:
	}
	// Cleanup may run after the test has failed; a driver problem here only matters as
	// a log line.
	if _, err := m.d.call(m.tb, map[string]any{"cmd": "close", "manager": m.name}, callTimeout); err != nil {
		m.tb.Logf("interoptest: closing %s: %v", m.name, err)
	}
}

func (d *Driver) filter(match func(*Record) bool) []Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Record
	for _, r := range d.records {
		if match(r) {
			out = append(out, *r)
		}
	}
	return out
}
