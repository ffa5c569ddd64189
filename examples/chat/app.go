package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"go.uber.org/fx"

	"github.com/sockgate/sockgate/auth"
	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/pipes/sanitize"
)

// DevSecret signs tokens when JWT_SECRET is not set in development mode. It is public:
// never run with it outside development.
const DevSecret = "sockgate-chat-development-secret"

// DevTokenTTL is how long the tokens of GET /dev/token last.
const DevTokenTTL = 12 * time.Hour

// RecoveryWindow is how long the state of a lost connection is kept for its client.
const RecoveryWindow = 2 * time.Minute

// Settings is the application's configuration, read from the environment by
// SettingsFromEnv.
type Settings struct {
	// Addr is the listening address (":" + PORT; default ":3000").
	Addr string
	// Secret is the HS256 key of the tokens (JWT_SECRET).
	Secret []byte
	// DevSecret is set when Secret is the development default.
	DevSecret bool
	// Dev enables GET /dev/token (CHAT_DEV, default on; CHAT_DEV=0 turns it off).
	Dev bool
	// ClientURL is the origin allowed to call from a browser, with credentials
	// (CLIENT_URL; default none: same origin only).
	ClientURL string
	// RedisURL joins the server to a cluster through Redis (REDIS_URL, such as
	// "redis://localhost:6379"; default none: a single node). The session cookie "io" is
	// then set, for load balancers routing by cookie.
	RedisURL string
	// RedisAdapter chooses the Redis adapter (REDIS_ADAPTER): "classic" (default),
	// "sharded" (sharded pub/sub, for Redis Cluster) or "streams" (Redis Streams: sessions
	// recover on any node).
	RedisAdapter string
	// ClientBundle is the file of the socket.io-client browser bundle the page at / loads
	// (CHAT_CLIENT_JS; default DefaultClientBundle). Empty: the page is served without it.
	ClientBundle string
}

// SettingsFromEnv reads the settings with getenv (os.Getenv in main).
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{Addr: ":3000", Dev: true, ClientURL: strings.TrimRight(getenv("CLIENT_URL"), "/"),
		ClientBundle: DefaultClientBundle}
	if b := getenv("CHAT_CLIENT_JS"); b != "" {
		s.ClientBundle = b
	}
	var errs []error
	s.RedisURL = getenv("REDIS_URL")
	switch s.RedisAdapter = getenv("REDIS_ADAPTER"); s.RedisAdapter {
	case "", "classic", "sharded", "streams":
	default:
		errs = append(errs, fmt.Errorf("REDIS_ADAPTER=%q: want classic, sharded or streams", s.RedisAdapter))
	}
	if p := getenv("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("PORT=%q is not a port number", p))
		}
		s.Addr = ":" + p
	}
	if v := getenv("CHAT_DEV"); v != "" {
		dev, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CHAT_DEV=%q: want 1 or 0", v))
		}
		s.Dev = dev
	}
	switch secret := getenv("JWT_SECRET"); {
	case secret != "":
		s.Secret = []byte(secret)
	case s.Dev:
		s.Secret, s.DevSecret = []byte(DevSecret), true
	default:
		errs = append(errs, errors.New("JWT_SECRET must be set when CHAT_DEV=0"))
	}
	if len(errs) > 0 {
		return Settings{}, fmt.Errorf("chat: %w", errors.Join(errs...))
	}
	return s, nil
}

// Connection limits of the chat (README, Security): a server-wide maximum, and per client
// address a handshake rate and a number of connections not yet in a namespace, which
// ConnectTimeout closes.
const (
	chatMaxConnections    = 10_000
	chatHandshakeRate     = 10 // per second and address
	chatHandshakeBurst    = 30
	chatPendingPerAddress = 20
	chatConnectTimeout    = 5 * time.Second
	chatMaxBufferedBytes  = 32 << 20
)

// GatewayConfig is the gateway.Config of the settings.
func (s Settings) GatewayConfig() gateway.Config {
	cfg := gateway.Config{
		Addr: s.Addr,
		// A client whose connection drops for less than two minutes gets its socket back
		// (same id, rooms and data) and the events it missed.
		ConnectionStateRecovery: gateway.ConnectionStateRecovery{MaxDisconnectionDuration: RecoveryWindow},
		MaxConnections:          chatMaxConnections,
		HandshakeRate:           chatHandshakeRate,
		HandshakeBurst:          chatHandshakeBurst,
		MaxPendingPerAddress:    chatPendingPerAddress,
		ConnectTimeout:          chatConnectTimeout,
		MaxBufferedBytes:        chatMaxBufferedBytes,
	}
	if s.ClientURL != "" {
		cfg.CORSOrigins = []string{s.ClientURL}
	}
	if s.RedisURL != "" {
		cfg.Cookie = "io"
	}
	return cfg
}

// App is the whole application as fx options: main runs it, tests start it on
// 127.0.0.1:0 and read the address from *di.Listener. log is the application's logger.
func App(s Settings, log *slog.Logger) fx.Option {
	return fx.Options(
		di.Module,
		fx.Supply(s, s.GatewayConfig(), log),
		clusterOption(s, log),
		fx.Provide(
			NewJWT,
			NewClock,
			NewNotifier,
			NewMetrics,
		),
		// Gateways name the guard and the pipe in their `use:"jwt,sanitize"` tags.
		di.Named("jwt", func(j *auth.JWT) gateway.Guard { return j.Guard() }),
		di.Named("sanitize", sanitize.Pipe),
		di.Gateway(NewMainGateway),
		di.Gateway(NewChatGateway),
		di.Gateway(NewNotificationsGateway),
		fx.Invoke(RegisterRoutes, RegisterMetrics),
	)
}

// TokenLeeway is the clock skew allowed on tokens' exp and nbf, and how long after its
// token's exp a socket is disconnected.
const TokenLeeway = 2 * time.Second

// NewJWT builds the token verifier of the settings: HS256 only, exp required.
func NewJWT(s Settings) (*auth.JWT, error) {
	return auth.NewJWT(auth.Config{Secret: s.Secret, Leeway: TokenLeeway})
}

// Clock tells the time; tests replace it to fix timestamps.
type Clock func() time.Time

// NewClock returns the wall clock.
func NewClock() Clock { return time.Now }
