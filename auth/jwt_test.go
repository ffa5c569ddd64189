package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	testSecret = []byte("test-secret-of-some-length-0123456789")
	testNow    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func fixedClock() time.Time { return testNow }

func newTestJWT(tb testing.TB, cfg Config) *JWT {
	tb.Helper()
	if cfg.Secret == nil {
		cfg.Secret = testSecret
	}
	if cfg.Now == nil {
		cfg.Now = fixedClock
	}
	j, err := NewJWT(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return j
}

// mint signs claims with method and key, as any issuer would.
func mint(tb testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	tb.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func unixAt(d time.Duration) int64 { return testNow.Add(d).Unix() }

func TestVerify(t *testing.T) {
	// hs256 signs c, with an exp an hour ahead unless c says otherwise; noExp does not add one.
	noExp := func(c jwt.MapClaims) string { return mint(t, jwt.SigningMethodHS256, testSecret, c) }
	hs256 := func(c jwt.MapClaims) string {
		if _, ok := c["exp"]; !ok {
			c["exp"] = unixAt(time.Hour)
		}
		return noExp(c)
	}
	valid := hs256(jwt.MapClaims{"sub": "alice", "exp": unixAt(time.Hour)})
	// An unsigned token claiming alg "none", accepted by naive verifiers.
	none := mint(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "mallory"})
	// A token whose header says HS256 but whose signature is cut off.
	parts := strings.Split(valid, ".")
	unsigned := parts[0] + "." + parts[1] + "."
	// The payload of a valid token swapped for another user's, signature kept.
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"root"}`)) + "." + parts[2]

	tests := []struct {
		name    string
		cfg     Config
		token   string
		user    string // want this user, or an error when empty
		noToken bool   // the error is ErrNoToken rather than ErrInvalidToken
		cause   error  // the jwt error wrapped, when it matters
	}{
		{name: "valid", token: valid, user: "alice"},
		{name: "bearer prefix", token: "Bearer " + valid, user: "alice"},
		{name: "bearer prefix any case", token: "  bearer   " + valid + " ", user: "alice"},
		{name: "no exp", token: noExp(jwt.MapClaims{"sub": "bob"}), cause: jwt.ErrTokenRequiredClaimMissing},
		{name: "no exp allowed", cfg: Config{AllowNoExpiration: true}, token: noExp(jwt.MapClaims{"sub": "bob"}), user: "bob"},
		{name: "id claim when no sub", token: hs256(jwt.MapClaims{"id": "carol"}), user: "carol"},
		{name: "numeric id stays exact", token: hs256(jwt.MapClaims{"id": 9007199254740993}), user: "9007199254740993"},
		{name: "sub before id", token: hs256(jwt.MapClaims{"id": "x", "sub": "dave"}), user: "dave"},
		{name: "empty sub falls back to id", token: hs256(jwt.MapClaims{"sub": "", "id": "erin"}), user: "erin"},
		{name: "custom user claim", cfg: Config{UserClaims: []string{"uid"}}, token: hs256(jwt.MapClaims{"uid": "frank", "sub": "no"}), user: "frank"},
		{name: "missing sub and id", token: hs256(jwt.MapClaims{"name": "x", "exp": unixAt(time.Hour)})},
		{name: "sub of the wrong type", token: hs256(jwt.MapClaims{"sub": true})},
		{name: "expired", token: hs256(jwt.MapClaims{"sub": "a", "exp": unixAt(-time.Second)}), cause: jwt.ErrTokenExpired},
		{name: "expiring right now", token: hs256(jwt.MapClaims{"sub": "a", "exp": unixAt(0)}), cause: jwt.ErrTokenExpired},
		{name: "expired within leeway", cfg: Config{Leeway: time.Minute}, token: hs256(jwt.MapClaims{"sub": "a", "exp": unixAt(-30 * time.Second)}), user: "a"},
		{name: "not valid yet", token: hs256(jwt.MapClaims{"sub": "a", "nbf": unixAt(time.Minute)}), cause: jwt.ErrTokenNotValidYet},
		{name: "exp null", token: hs256(jwt.MapClaims{"sub": "a", "exp": nil})},
		{name: "exp of the wrong type", token: hs256(jwt.MapClaims{"sub": "a", "exp": "tomorrow"})},
		{name: "wrong secret", token: mint(t, jwt.SigningMethodHS256, []byte("another secret"), jwt.MapClaims{"sub": "a"}), cause: jwt.ErrTokenSignatureInvalid},
		{name: "alg none", token: none},
		{name: "alg HS512 not allowed", token: mint(t, jwt.SigningMethodHS512, testSecret, jwt.MapClaims{"sub": "a"})},
		{name: "alg HS512 allowed", cfg: Config{Algorithms: []string{"HS256", "HS512"}}, token: mint(t, jwt.SigningMethodHS512, testSecret, jwt.MapClaims{"sub": "a", "exp": unixAt(time.Hour)}), user: "a"},
		{name: "signature removed", token: unsigned},
		{name: "payload forged", token: forged},
		{name: "issuer matches", cfg: Config{Issuer: "me"}, token: hs256(jwt.MapClaims{"sub": "a", "iss": "me"}), user: "a"},
		{name: "issuer differs", cfg: Config{Issuer: "me"}, token: hs256(jwt.MapClaims{"sub": "a", "iss": "you"}), cause: jwt.ErrTokenInvalidIssuer},
		{name: "audience among several", cfg: Config{Audience: "chat"}, token: hs256(jwt.MapClaims{"sub": "a", "aud": []string{"mail", "chat"}}), user: "a"},
		{name: "audience missing", cfg: Config{Audience: "chat"}, token: hs256(jwt.MapClaims{"sub": "a"}), cause: jwt.ErrTokenRequiredClaimMissing},
		{name: "audience differs", cfg: Config{Audience: "chat"}, token: hs256(jwt.MapClaims{"sub": "a", "aud": "mail"}), cause: jwt.ErrTokenInvalidAudience},
		{name: "malformed", token: "not.a.jwt", cause: jwt.ErrTokenMalformed},
		{name: "two segments", token: "abc.def", cause: jwt.ErrTokenMalformed},
		{name: "too long", token: strings.Repeat("a", MaxTokenSize+1)},
		{name: "empty", token: "", noToken: true},
		{name: "only the scheme", token: "Bearer ", noToken: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newTestJWT(t, tt.cfg)
			id, err := j.Verify(tt.token)
			if tt.user != "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if id.UserID != tt.user {
					t.Fatalf("user %q, want %q", id.UserID, tt.user)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, user %q", id.UserID)
			}
			want := ErrInvalidToken
			if tt.noToken {
				want = ErrNoToken
			}
			if !errors.Is(err, want) {
				t.Fatalf("error %v is not %v", err, want)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Fatalf("error %v does not wrap %v", err, tt.cause)
			}
		})
	}
}

func TestVerifyKeepsClaimsAndExpiry(t *testing.T) {
	j := newTestJWT(t, Config{})
	tok := mint(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "alice", "role": "admin", "exp": unixAt(time.Hour)})
	id, err := j.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if id.Claims["role"] != "admin" {
		t.Errorf("claims %v", id.Claims)
	}
	if !id.ExpiresAt.Equal(testNow.Add(time.Hour)) {
		t.Errorf("ExpiresAt %v", id.ExpiresAt)
	}
	if j.expired(id) {
		t.Error("expired already")
	}
}

func TestSignRoundTrip(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Algorithms: []string{"HS512"}, Issuer: "sockgate", Audience: "chat", AllowNoExpiration: true},
	} {
		j := newTestJWT(t, cfg)
		tok, err := j.Sign("alice", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		id, err := j.Verify(tok)
		if err != nil {
			t.Fatalf("%+v: own token refused: %v", cfg, err)
		}
		if id.UserID != "alice" || !id.ExpiresAt.Equal(testNow.Add(time.Minute)) {
			t.Fatalf("identity %+v", id)
		}
		if alg := jwtHeaderAlg(t, tok); len(cfg.Algorithms) > 0 && alg != cfg.Algorithms[0] {
			t.Fatalf("signed with %s", alg)
		}
	}
	j := newTestJWT(t, Config{})
	if tok, err := j.Sign("bob", 0); err == nil {
		t.Fatalf("ttl 0 without AllowNoExpiration signed %s", tok)
	}
	if tok, err := newTestJWT(t, Config{AllowNoExpiration: true}).Sign("bob", 0); err != nil {
		t.Fatal(err)
	} else if id, err := newTestJWT(t, Config{AllowNoExpiration: true}).Verify(tok); err != nil || !id.ExpiresAt.IsZero() {
		t.Fatalf("ttl 0: %+v, %v", id, err)
	} else if _, err := j.Verify(tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("a token without exp passed the default verifier: %v", err)
	}
	if _, err := j.Sign("", time.Minute); err == nil {
		t.Error("signed an empty user id")
	}
	if _, err := j.Sign("x", -time.Minute); err == nil {
		t.Error("signed a negative ttl")
	}
	// A token signed by one verifier is refused by one with another secret.
	other := newTestJWT(t, Config{Secret: []byte("other")})
	tok, _ := j.Sign("alice", time.Minute)
	if _, err := other.Verify(tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("other secret: %v", err)
	}
}

func jwtHeaderAlg(tb testing.TB, tok string) string {
	tb.Helper()
	t, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		tb.Fatal(err)
	}
	return t.Method.Alg()
}

func TestNewJWTRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"no secret", Config{}, []string{"Secret is empty"}},
		{"none", Config{Secret: testSecret, Algorithms: []string{"none"}}, []string{`"none" is not supported`}},
		{"RS256 with a secret", Config{Secret: testSecret, Algorithms: []string{"RS256"}}, []string{`"RS256" is not supported`}},
		{"every problem", Config{Algorithms: []string{"HS256", "ES256"}, Leeway: -1, UserClaims: []string{""}},
			[]string{"Secret is empty", `"ES256"`, "Leeway is negative", "empty name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewJWT(tt.cfg)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestTrimBearerAndBearerToken(t *testing.T) {
	tests := []struct{ in, trimmed, bearer string }{
		{"abc", "abc", ""},
		{"Bearer abc", "abc", "abc"},
		{"BEARER  abc ", "abc", "abc"},
		{"Basic abc", "Basic abc", ""},
		{"Bearer", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := trimBearer(tt.in); got != tt.trimmed {
			t.Errorf("trimBearer(%q) = %q, want %q", tt.in, got, tt.trimmed)
		}
		if got := bearerToken(tt.in); got != tt.bearer {
			t.Errorf("bearerToken(%q) = %q, want %q", tt.in, got, tt.bearer)
		}
	}
}

func FuzzVerify(f *testing.F) {
	j := newTestJWT(f, Config{Issuer: "i", Audience: "a", Leeway: time.Second})
	good, err := j.Sign("alice", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		good, "Bearer " + good, "", ".", "..", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
		"eyJhbGciOiJIUzI1NiJ9.bnVsbA.x", "eyJhbGciOiJIUzI1NiJ9.W10.x", good[:len(good)/2],
		strings.Repeat("A", 100) + "." + strings.Repeat("B", 100) + ".C",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		id, err := j.Verify(token)
		if err == nil {
			// Acceptance needs the secret: only the seed token (or a re-encoding of it
			// with the same signature input) can pass.
			if id.UserID == "" {
				t.Fatalf("accepted %q without a user id", token)
			}
			return
		}
		if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrNoToken) {
			t.Fatalf("error %v wraps neither sentinel", err)
		}
	})
}
