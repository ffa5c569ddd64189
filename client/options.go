package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Transport names, as in the Options.Transports list and Manager.Transport.
const (
	TransportPolling   = "polling"
	TransportWebSocket = "websocket"
)

// Options configures a Manager and, through Dial, its first socket. The zero value gives
// the JavaScript client's defaults; each field says what its zero value means.
type Options struct {
	// Transports lists the transports to use. The connection starts on the first one and,
	// when it is polling, upgrades to websocket if the server offers it and websocket is
	// listed. Nil: {"polling", "websocket"}, polling then upgrade.
	Transports []string
	// DisableUpgrade keeps a connection on the transport it started with.
	DisableUpgrade bool
	// Path is the server's Engine.IO path; a trailing slash is added. Zero: "/socket.io/".
	Path string
	// Query is added to the query of every request, after the URL's own query.
	Query url.Values
	// Header is sent with every polling request and the websocket handshake.
	Header http.Header

	// Auth is the CONNECT payload of the sockets (socket.handshake.auth on the server): a
	// value that encodes as a JSON object, such as a map or a struct. Nil: none.
	Auth any
	// AuthFunc, when set, replaces Auth: it is called before every (re)connection of a
	// socket, so that a fresh token can be sent. ctx ends with the connection attempt. An
	// error is reported as a connect_error and the socket is not connected.
	AuthFunc func(ctx context.Context) (any, error)

	// ConnectTimeout bounds the Engine.IO handshake of every (re)connection attempt
	// (the JavaScript client's "timeout"). Zero: 20s.
	ConnectTimeout time.Duration

	// DisableReconnection turns automatic reconnection off.
	DisableReconnection bool
	// ReconnectionAttempts is how many reconnection attempts are made before giving up
	// with reconnect_failed. Zero: no limit.
	ReconnectionAttempts int
	// ReconnectionDelay is the delay before the first reconnection attempt; it doubles
	// with every attempt. Zero: 1s.
	ReconnectionDelay time.Duration
	// ReconnectionDelayMax caps the delay between attempts. Zero: 5s.
	ReconnectionDelayMax time.Duration
	// RandomizationFactor spreads each delay by up to this fraction, up or down.
	// Zero: 0.5. Negative: no randomization.
	RandomizationFactor float64

	// DisableSendBuffer makes Emit fail with ErrNotConnected while the socket is not
	// connected, instead of keeping the packet until the (re)connection.
	DisableSendBuffer bool
	// SendBufferSize bounds the packets a socket keeps while it is not connected; Emit
	// fails with ErrSendBufferFull beyond it. Zero: 1024.
	SendBufferSize int
	// WriteQueueSize bounds the packets waiting to be written on the connection; Emit
	// fails with ErrWriteQueueFull beyond it. Zero: 1024.
	WriteQueueSize int
	// EventQueueSize bounds the events received but not yet handled; when it is full
	// the connection stops reading until the handlers catch up. Zero: 256.
	EventQueueSize int
	// MaxPayload is the largest websocket message or polling response accepted from the
	// server, in bytes. Zero: 64 MiB.
	MaxPayload int64

	// HTTPClient sends the polling requests. Nil: a client owned by the Manager, whose
	// idle connections Close releases.
	HTTPClient *http.Client
	// Dialer opens websockets. Nil: a dialer with 1 KiB read buffers and pooled write
	// buffers, which keeps idle connections small.
	Dialer *websocket.Dialer
	// Jar, when set, keeps cookies across requests, for sticky load balancers. It is
	// used by the Manager's own HTTP client and by the default Dialer.
	Jar http.CookieJar
	// Logger receives what the client cannot report otherwise, such as an event argument
	// that On[T] could not decode. Nil: slog.Default().
	Logger *slog.Logger
}

// SocketOptions are per-namespace settings for Manager.Socket.
type SocketOptions struct {
	// Auth and AuthFunc are as in Options; they replace the Manager's for this socket.
	Auth     any
	AuthFunc func(ctx context.Context) (any, error)
}

// Defaults of the zero Options.
const (
	defaultPath                 = "/socket.io/"
	defaultConnectTimeout       = 20 * time.Second
	defaultReconnectionDelay    = time.Second
	defaultReconnectionDelayMax = 5 * time.Second
	defaultRandomization        = 0.5
	defaultSendBufferSize       = 1024
	defaultWriteQueueSize       = 1024
	defaultEventQueueSize       = 256
	defaultMaxPayload           = 64 << 20
)

func (o Options) withDefaults() Options {
	if o.Transports == nil {
		o.Transports = []string{TransportPolling, TransportWebSocket}
	} else {
		o.Transports = slices.Clone(o.Transports)
	}
	if o.Path == "" {
		o.Path = defaultPath
	}
	if !strings.HasSuffix(o.Path, "/") {
		o.Path += "/"
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = defaultConnectTimeout
	}
	if o.ReconnectionDelay <= 0 {
		o.ReconnectionDelay = defaultReconnectionDelay
	}
	if o.ReconnectionDelayMax <= 0 {
		o.ReconnectionDelayMax = defaultReconnectionDelayMax
	}
	switch {
	case o.RandomizationFactor == 0:
		o.RandomizationFactor = defaultRandomization
	case o.RandomizationFactor < 0:
		o.RandomizationFactor = 0
	}
	if o.SendBufferSize <= 0 {
		o.SendBufferSize = defaultSendBufferSize
	}
	if o.WriteQueueSize <= 0 {
		o.WriteQueueSize = defaultWriteQueueSize
	}
	if o.EventQueueSize <= 0 {
		o.EventQueueSize = defaultEventQueueSize
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = defaultMaxPayload
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Header = o.Header.Clone()
	return o
}

func (o Options) validate() error {
	var errs []error
	if len(o.Transports) == 0 {
		errs = append(errs, errors.New("Transports is empty"))
	}
	for _, t := range o.Transports {
		if t != TransportPolling && t != TransportWebSocket {
			errs = append(errs, fmt.Errorf("unknown transport %q (want polling or websocket)", t))
		}
	}
	if !strings.HasPrefix(o.Path, "/") {
		errs = append(errs, fmt.Errorf("Path %q must start with /", o.Path))
	}
	if o.ReconnectionAttempts < 0 {
		errs = append(errs, fmt.Errorf("ReconnectionAttempts is negative (%d)", o.ReconnectionAttempts))
	}
	if o.RandomizationFactor > 1 {
		errs = append(errs, fmt.Errorf("RandomizationFactor %v is above 1", o.RandomizationFactor))
	}
	if len(errs) > 0 {
		return fmt.Errorf("client: invalid Options: %w", errors.Join(errs...))
	}
	return nil
}

// allows reports whether transport t is listed.
func (o *Options) allows(t string) bool { return slices.Contains(o.Transports, t) }
