package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Config is the plain-data configuration of a JWT verifier. Only Secret is required; each
// other field says what its zero value means.
type Config struct {
	// Secret is the HMAC key tokens are signed with. Required; keep it out of logs.
	Secret []byte
	// Algorithms lists the accepted signing algorithms, among HS256, HS384 and HS512.
	// A token signed with any other ("none" included) is refused. Zero: HS256 only.
	// Sign uses the first one.
	Algorithms []string
	// Leeway is the clock skew allowed when checking exp and nbf, and how long after its
	// token's exp a socket is disconnected. Zero: none.
	Leeway time.Duration
	// Issuer, when set, must be the token's iss claim; Sign sets it.
	Issuer string
	// Audience, when set, must be one of the token's aud claims; Sign sets it.
	Audience string
	// UserClaims lists the claims that may hold the user id, in order of preference; the
	// first present, non-empty string or number wins. Zero: "sub", then "id".
	UserClaims []string
	// AllowNoExpiration accepts tokens without an exp claim, which then never expire, and
	// lets Sign issue them. Zero: a token without exp is refused as invalid.
	AllowNoExpiration bool
	// Now is the clock. Zero: time.Now.
	Now func() time.Time
}

// MaxTokenSize bounds the length of a token accepted for verification, so that a client
// cannot make the server decode and hash megabytes.
const MaxTokenSize = 8 << 10

// Errors of token verification. The guard and the HTTP middleware never show a client
// more than "Invalid token"; the wrapped cause is for logs.
var (
	// ErrNoToken means the request or handshake carried no token.
	ErrNoToken = errors.New("auth: no token")
	// ErrInvalidToken wraps every reason a token was refused: malformed, wrong algorithm
	// or signature, expired, not yet valid, wrong issuer or audience, no user id.
	ErrInvalidToken = errors.New("auth: invalid token")
)

// JWT verifies and signs tokens with one Config. It is safe for concurrent use.
type JWT struct {
	secret     []byte
	method     jwt.SigningMethod
	parser     *jwt.Parser
	issuer     string
	audience   string
	userClaims []string
	now        func() time.Time
	leeway     time.Duration
	noExp      bool
}

var hmacMethods = map[string]jwt.SigningMethod{
	"HS256": jwt.SigningMethodHS256,
	"HS384": jwt.SigningMethodHS384,
	"HS512": jwt.SigningMethodHS512,
}

// NewJWT returns a verifier for cfg, or an error naming every problem of cfg.
func NewJWT(cfg Config) (*JWT, error) {
	var errs []error
	if len(cfg.Secret) == 0 {
		errs = append(errs, errors.New("auth: Config.Secret is empty"))
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = []string{"HS256"}
	}
	for _, a := range algs {
		if _, ok := hmacMethods[a]; !ok {
			errs = append(errs, fmt.Errorf("auth: Config.Algorithms: %q is not supported (want HS256, HS384 or HS512)", a))
		}
	}
	if cfg.Leeway < 0 {
		errs = append(errs, fmt.Errorf("auth: Config.Leeway is negative (%v)", cfg.Leeway))
	}
	claims := cfg.UserClaims
	if len(claims) == 0 {
		claims = []string{"sub", "id"}
	}
	if slices.Contains(claims, "") {
		errs = append(errs, errors.New("auth: Config.UserClaims holds an empty name"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(slices.Clone(algs)),
		jwt.WithJSONNumber(), // numeric user ids stay exact
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(now),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	if !cfg.AllowNoExpiration {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	return &JWT{
		secret:     slices.Clone(cfg.Secret),
		method:     hmacMethods[algs[0]],
		parser:     jwt.NewParser(opts...),
		issuer:     cfg.Issuer,
		audience:   cfg.Audience,
		userClaims: slices.Clone(claims),
		now:        now,
		leeway:     cfg.Leeway,
		noExp:      cfg.AllowNoExpiration,
	}, nil
}

// Verify checks a token (with or without a "Bearer " prefix) and returns the identity it
// carries. An empty token gives ErrNoToken; every other refusal wraps ErrInvalidToken and
// the reason.
func (j *JWT) Verify(token string) (*Identity, error) {
	token = trimBearer(token)
	if token == "" {
		return nil, ErrNoToken
	}
	if len(token) > MaxTokenSize {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, MaxTokenSize)
	}
	claims := jwt.MapClaims{}
	if _, err := j.parser.ParseWithClaims(token, claims, j.key); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	user, err := j.userID(claims)
	if err != nil {
		return nil, err
	}
	id := &Identity{UserID: user, Claims: claims}
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		id.ExpiresAt = exp.Time
	}
	return id, nil
}

// key hands the parser the secret; the parser has already pinned the algorithm to the
// configured ones, so the header cannot pick a key type.
func (j *JWT) key(*jwt.Token) (any, error) { return j.secret, nil }

func (j *JWT) userID(claims jwt.MapClaims) (string, error) {
	for _, name := range j.userClaims {
		switch v := claims[name].(type) {
		case string:
			if v != "" {
				return v, nil
			}
		case json.Number:
			return v.String(), nil
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		}
	}
	return "", fmt.Errorf("%w: no user id in claims %s", ErrInvalidToken, strings.Join(j.userClaims, ", "))
}

// expired reports whether id's token has expired, leeway included.
func (j *JWT) expired(id *Identity) bool {
	return !id.ExpiresAt.IsZero() && !j.now().Before(id.ExpiresAt.Add(j.leeway))
}

// lifetime returns how long id's token stays valid, leeway included, and false for a
// token that never expires.
func (j *JWT) lifetime(id *Identity) (time.Duration, bool) {
	if id.ExpiresAt.IsZero() {
		return 0, false
	}
	return id.ExpiresAt.Add(j.leeway).Sub(j.now()), true
}

// Sign returns a token for userID in the sub claim, issued now, expiring after ttl, with
// the configured issuer and audience, signed with the first configured algorithm. A ttl
// of zero gives a token without exp, which only Config.AllowNoExpiration accepts. It is meant for development endpoints and tests; production
// tokens usually come from an identity provider.
func (j *JWT) Sign(userID string, ttl time.Duration) (string, error) {
	if userID == "" {
		return "", errors.New("auth: Sign: empty user id")
	}
	if ttl < 0 {
		return "", fmt.Errorf("auth: Sign: negative ttl %v", ttl)
	}
	if ttl == 0 && !j.noExp {
		return "", errors.New("auth: Sign: a token without expiry (ttl 0) needs Config.AllowNoExpiration")
	}
	now := j.now()
	claims := jwt.RegisteredClaims{
		Subject:  userID,
		IssuedAt: jwt.NewNumericDate(now),
		Issuer:   j.issuer,
	}
	if ttl > 0 {
		claims.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	}
	if j.audience != "" {
		claims.Audience = jwt.ClaimStrings{j.audience}
	}
	s, err := jwt.NewWithClaims(j.method, claims).SignedString(j.secret)
	if err != nil {
		return "", fmt.Errorf("auth: Sign: %w", err)
	}
	return s, nil
}

// trimBearer removes a case-insensitive "Bearer " prefix and surrounding spaces.
func trimBearer(s string) string {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "bearer") {
		return ""
	}
	if len(s) >= 7 && strings.EqualFold(s[:7], "bearer ") {
		s = strings.TrimSpace(s[7:])
	}
	return s
}
