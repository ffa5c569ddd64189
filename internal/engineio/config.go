package engineio

import (
	"net/http"
	"slices"
	"time"
)

// Transport names, as they appear in the transport query parameter.
const (
	TransportPolling   = "polling"
	TransportWebSocket = "websocket"
)

// Config configures a Server. The zero value gives the socket.io defaults;
// each field says what its zero value means.
type Config struct {
	// PingInterval is the time between two server pings. Zero: 25s.
	PingInterval time.Duration
	// PingTimeout is how long the server waits for the pong. Zero: 20s.
	PingTimeout time.Duration
	// UpgradeTimeout bounds a polling to websocket upgrade, from the probe
	// socket's opening to its "5" packet. Zero: 10s.
	UpgradeTimeout time.Duration
	// MaxPayload (socket.io's maxHttpBufferSize) is the largest POST body or
	// websocket message accepted, in bytes; larger POST bodies get 413 and
	// larger websocket messages close 1009, both closing the session. It is
	// advertised to the client as maxPayload. Zero: 1e6.
	MaxPayload int64
	// MaxBufferedBytes caps, server-wide, the bytes held by partial messages:
	// websocket messages being received and polling POST bodies being read. Their
	// buffers grow with the bytes actually received, never to the size a header
	// announces. A message that would exceed the cap closes its session (websocket:
	// close 1013; polling: 503). Zero: 64 MiB.
	MaxBufferedBytes int64
	// PostReadTimeout bounds the reading of one polling POST body; a POST still
	// sending after it is answered 400, its connection and its session closed. A
	// POST whose session ends meanwhile is abandoned at once, the same way. Zero: 10s.
	PostReadTimeout time.Duration
	// MaxConnections is the most sessions the server holds at once; a handshake
	// beyond it gets 403 {"code":4,"message":"Server full: ..."}. Zero: no limit.
	MaxConnections int
	// HandshakeRate is how many handshakes per second one client address may
	// make, with bursts of HandshakeBurst; beyond it a handshake gets 429. An
	// address is the host of the request's RemoteAddr (for IPv6, its /64).
	// Zero: no limit.
	HandshakeRate  float64
	HandshakeBurst int // Zero: 1.
	// MaxPendingPerAddress is the most sessions one client address may hold that
	// have not joined a namespace (Conn.Joined); beyond it a handshake gets 429.
	// Zero: no limit.
	MaxPendingPerAddress int
	// JoinTimeout closes a session that has not joined a namespace (Conn.Joined)
	// within it, with ReasonJoinTimeout. Zero: no deadline.
	JoinTimeout time.Duration
	// Transports lists the transports a session may start on or upgrade to.
	// Nil: {"polling", "websocket"}.
	Transports []string
	// DisableUpgrades makes every handshake advertise "upgrades":[].
	DisableUpgrades bool
	// AllowedOrigins drives CORS for polling and the Origin check of
	// websocket handshakes.
	//   - nil or empty: no CORS headers; websocket handshakes must be
	//     same-origin (no Origin header, or its host equals the request Host).
	//   - "*" (alone or in the list): any origin, without credentials, as
	//     Node's cors: polling responses carry Access-Control-Allow-Origin: *
	//     and no Access-Control-Allow-Credentials; any websocket Origin.
	//   - otherwise exact origins such as "https://app.example.com": a
	//     matching polling request gets its origin echoed, with credentials;
	//     websocket handshakes from a listed origin or the server's own.
	// OPTIONS preflights get 204 with Allow-Methods GET,POST,OPTIONS and the
	// requested headers echoed in Allow-Headers.
	AllowedOrigins []string
	// AllowRequest, if set, may refuse a handshake by returning an error; the
	// client gets 403 {"code":4,"message":"Forbidden"}.
	AllowRequest func(r *http.Request) error
	// Cookie, when non-empty, makes the handshake set
	// "<Cookie>=<sid>; Path=/; HttpOnly; SameSite=Lax" for sticky sessions.
	Cookie string
	// WriteQueueSize is the most packets queued per session; a Send that
	// would exceed it closes the session (slow consumer). Zero: 1024.
	WriteQueueSize int
	// ReadBufferSize is the read buffer of a websocket read with blocking
	// calls: an upgrade's probe, and sessions where no poller is available
	// (not Linux). Sessions read by a poller share its buffer. Zero: 1024.
	ReadBufferSize int
	// WriteBufferSize is gorilla/websocket's write buffer during the opening
	// handshake (from a pool shared by all sessions); frames are then written
	// straight from the messages. Zero: 4096.
	WriteBufferSize int
}

func (c Config) withDefaults() Config {
	if c.PingInterval <= 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = 20 * time.Second
	}
	if c.UpgradeTimeout <= 0 {
		c.UpgradeTimeout = 10 * time.Second
	}
	if c.MaxPayload <= 0 {
		c.MaxPayload = 1e6
	}
	if c.MaxBufferedBytes <= 0 {
		c.MaxBufferedBytes = 64 << 20
	}
	if c.PostReadTimeout <= 0 {
		c.PostReadTimeout = 10 * time.Second
	}
	if c.Transports == nil {
		c.Transports = []string{TransportPolling, TransportWebSocket}
	} else {
		c.Transports = slices.Clone(c.Transports)
	}
	c.AllowedOrigins = slices.Clone(c.AllowedOrigins)
	if c.WriteQueueSize <= 0 {
		c.WriteQueueSize = 1024
	}
	if c.ReadBufferSize <= 0 {
		c.ReadBufferSize = 1024
	}
	if c.WriteBufferSize <= 0 {
		c.WriteBufferSize = 4096
	}
	return c
}
