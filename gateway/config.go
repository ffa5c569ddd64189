package gateway

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/decorators"
)

// Config is the plain-data configuration of a Server. Its zero value gives socket.io's
// defaults; each field says what zero means.
type Config struct {
	// Addr is the address the di module listens on. Zero: ":3000". The Server itself does
	// not listen; mount it on any http.Server or router.
	Addr string
	// Path is where the Server answers, with or without its trailing slash. Zero:
	// "/socket.io/".
	Path string
	// PingInterval is how often the server pings each connection. Zero: 25s.
	PingInterval time.Duration
	// PingTimeout is how long a pong may take before the connection is closed. Zero: 20s.
	PingTimeout time.Duration
	// ConnectTimeout closes a connection that joined no namespace in time (a refused
	// CONNECT does not count as joining). Zero: 10s, shorter than socket.io's 45s: a
	// client connects to its first namespace right after the handshake, and a connection
	// that does not only holds memory. Negative: no deadline.
	ConnectTimeout time.Duration
	// MaxConnections is the most connections the server holds at once; a handshake beyond
	// it is refused with 403 {"code":4,"message":"Server full: ..."}. Zero: 50,000.
	// Negative: no limit.
	MaxConnections int
	// HandshakeRate is how many handshakes per second one client address may make, in
	// bursts of up to HandshakeBurst; a handshake beyond it is refused with 429
	// {"code":4,"message":"Too many handshakes from this address"}. The address is the
	// host of the request's RemoteAddr (for IPv6 its /64): behind a proxy it is the
	// proxy's, so set the limits there or turn these off. Zero: 10 per second.
	// Negative: no limit.
	HandshakeRate float64
	// HandshakeBurst is the bucket of HandshakeRate. Zero: 30.
	HandshakeBurst int
	// MaxPendingPerAddress is the most connections one client address may hold that have
	// not joined a namespace; a handshake beyond it is refused with 429. Zero: 30.
	// Negative: no limit.
	MaxPendingPerAddress int
	// UpgradeTimeout bounds an upgrade from polling to websocket. Zero: 10s.
	UpgradeTimeout time.Duration
	// MaxHTTPBufferSize is the largest polling body or websocket message accepted, in
	// bytes. Zero: 1e6.
	MaxHTTPBufferSize int64
	// MaxBufferedBytes caps, server-wide, the bytes held by messages still being
	// received (websocket messages, polling POST bodies). Buffers grow with the bytes
	// received, never with the size announced; the connection whose message would exceed
	// the cap is closed (websocket close 1013, polling 503). Zero: 64 MiB.
	MaxBufferedBytes int64
	// PostReadTimeout bounds the reading of one polling POST body; a POST whose
	// connection ends meanwhile is abandoned at once. Zero: 10s.
	PostReadTimeout time.Duration
	// Transports lists the transports clients may use. Zero: polling and websocket.
	Transports []string
	// DisableUpgrades keeps polling clients on polling.
	DisableUpgrades bool
	// CORSOrigins are the origins allowed to use polling from a browser and to open
	// websockets. Exact origins ("https://app.example.com") get credentials (cookies);
	// "*" allows any origin without credentials, as Node's cors does. Websockets from the
	// server's own origin are always accepted. Zero: no CORS headers, and websockets only
	// from the same origin.
	CORSOrigins []string
	// Cookie, when set, names a cookie holding the session id, for sticky load balancers.
	// Zero: no cookie.
	Cookie string
	// WriteQueueSize bounds the packets queued for one connection; a connection whose queue
	// is full is closed as a slow consumer. Zero: 1024.
	WriteQueueSize int
	// EventQueueSize bounds the events waiting for one socket's handlers; an event that
	// does not fit is refused with resource_exhausted (in its acknowledgement, and one
	// exception per burst). Acknowledgements and error reports have room of their own in
	// the write queue (WriteQueueSize more), so that refusing a burst never costs the
	// connection. Zero: 256.
	EventQueueSize int
	// EventRate is the default rate limit of every event, per socket and event, in the
	// syntax of rate: tags ("20/s", "100/m,burst=20"; see decorators.ParseRate). A rate:
	// tag, a gateway's rate: and Namespace.SetEventRate replace it. An event over its
	// limit is not handled; the client gets resource_exhausted (in the acknowledgement
	// when it asked for one, and as "exception" for the first refusal of a streak), and
	// the socket stays connected. Zero: no default limit, only the tags' and namespaces'.
	EventRate string
	// MaxRateRefusals is how many events of one socket may be refused for their rate
	// within RateRefusalWindow before the socket is disconnected with ReasonRateLimited
	// (the count drains at that pace, so a socket that slows down stays). Zero: 100.
	// Negative: never disconnect for that.
	MaxRateRefusals int
	// RateRefusalWindow is the window of MaxRateRefusals. Zero: 10s.
	RateRefusalWindow time.Duration
	// KeepEmptyChildNamespaces keeps the child namespaces of a pattern (OfPattern,
	// OfFunc) after their last socket left. Zero: an empty child is removed and its
	// adapter closed, as socket.io's cleanupEmptyChildNamespaces does.
	KeepEmptyChildNamespaces bool
	// MaxChildNamespaces bounds the child namespaces one pattern holds at once; a CONNECT
	// that would create one more is refused with "Too many namespaces". Zero: 10,000.
	// Negative: no bound.
	MaxChildNamespaces int
	// DisableErrorAck stops failed events from being answered with an error
	// acknowledgement; the client's emitWithAck then waits for its own timeout.
	DisableErrorAck bool
	// DisableExceptionEvent stops failed events from emitting "exception" to the sender.
	DisableExceptionEvent bool
	// ConnectionStateRecovery keeps the state of sockets whose connection is lost, so that
	// their clients get it back when they reconnect in time; see ConnectionStateRecovery.
	// Zero: off.
	ConnectionStateRecovery ConnectionStateRecovery
	// ShutdownTimeout bounds Shutdown when the di module stops the server. Zero: 10s.
	ShutdownTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = ":3000"
	}
	if c.Path == "" {
		c.Path = "/socket.io/"
	}
	if !strings.HasSuffix(c.Path, "/") {
		c.Path += "/"
	}
	if c.PingInterval == 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = 20 * time.Second
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = 50_000
	}
	if c.HandshakeRate == 0 {
		c.HandshakeRate = 10
	}
	if c.HandshakeBurst == 0 {
		c.HandshakeBurst = 30
	}
	if c.MaxPendingPerAddress == 0 {
		c.MaxPendingPerAddress = 30
	}
	if c.UpgradeTimeout == 0 {
		c.UpgradeTimeout = 10 * time.Second
	}
	if c.MaxHTTPBufferSize == 0 {
		c.MaxHTTPBufferSize = 1e6
	}
	if c.MaxBufferedBytes == 0 {
		c.MaxBufferedBytes = 64 << 20
	}
	if c.PostReadTimeout == 0 {
		c.PostReadTimeout = 10 * time.Second
	}
	if len(c.Transports) == 0 {
		c.Transports = []string{"polling", "websocket"}
	}
	if c.WriteQueueSize == 0 {
		c.WriteQueueSize = 1024
	}
	if c.EventQueueSize == 0 {
		c.EventQueueSize = 256
	}
	if c.MaxChildNamespaces == 0 {
		c.MaxChildNamespaces = 10_000
	}
	if c.MaxRateRefusals == 0 {
		c.MaxRateRefusals = 100
	}
	if c.RateRefusalWindow == 0 {
		c.RateRefusalWindow = 10 * time.Second
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	return c
}

func (c Config) validate() error {
	var errs []string
	if c.Path != "" && !strings.HasPrefix(c.Path, "/") {
		errs = append(errs, fmt.Sprintf("Path %q must start with /", c.Path))
	}
	for _, t := range c.Transports {
		if t != "polling" && t != "websocket" {
			errs = append(errs, fmt.Sprintf("unknown transport %q (want polling or websocket)", t))
		}
	}
	for name, d := range map[string]time.Duration{
		"PingInterval": c.PingInterval, "PingTimeout": c.PingTimeout,
		"UpgradeTimeout":    c.UpgradeTimeout,
		"PostReadTimeout":   c.PostReadTimeout,
		"RateRefusalWindow": c.RateRefusalWindow,
	} {
		if d < 0 {
			errs = append(errs, fmt.Sprintf("%s is negative (%v)", name, d))
		}
	}
	if rc := c.ConnectionStateRecovery; rc.MaxDisconnectionDuration < 0 || rc.MaxSessions < 0 ||
		rc.MaxPackets < 0 || rc.MaxPacketBytes < 0 {
		errs = append(errs, "ConnectionStateRecovery: durations and sizes must not be negative")
	}
	if c.HandshakeBurst < 0 {
		errs = append(errs, fmt.Sprintf("HandshakeBurst is negative (%d)", c.HandshakeBurst))
	}
	if c.MaxHTTPBufferSize < 0 || c.MaxBufferedBytes < 0 || c.WriteQueueSize < 0 || c.EventQueueSize < 0 {
		errs = append(errs, "sizes must not be negative")
	}
	if c.EventRate != "" {
		if _, err := decorators.ParseRate(c.EventRate); err != nil {
			errs = append(errs, "EventRate: "+err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("gateway: invalid Config: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Option configures a pluggable part of a Server.
type Option interface {
	apply(*Server)
	String() string
}

type adapterOption struct{ f adapter.Factory }

func (o adapterOption) apply(s *Server) { s.adapterFactory = o.f }
func (o adapterOption) String() string  { return "gateway.WithAdapter(...)" }

// WithAdapter sets the adapter factory used for every namespace. Default:
// adapter.NewMemory.
func WithAdapter(f adapter.Factory) Option { return adapterOption{f} }

type loggerOption struct{ l *slog.Logger }

func (o loggerOption) apply(s *Server) { s.logger = o.l }
func (o loggerOption) String() string  { return "gateway.WithLogger(...)" }

// WithLogger sets the logger. Default: slog.Default().
func WithLogger(l *slog.Logger) Option { return loggerOption{l} }
