package auth

import (
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sockgate/sockgate/gateway"
)

// Identity is what a verified token says about its bearer. The guard keeps it on the
// socket under the package's own gateway.Key, so that the socket's data stays the
// application's.
type Identity struct {
	// UserID is the value of the first user claim present (see Config.UserClaims).
	UserID string `json:"userId"`
	// Claims are all the token's claims; numbers are json.Number.
	Claims jwt.MapClaims `json:"claims"`
	// ExpiresAt is the token's exp, zero if it has none.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// identityKey is where the guard keeps a socket's identity.
var identityKey = gateway.NewKey[*Identity]("auth.identity")

// IdentityOf returns the identity the guard stored on s, if any.
func IdentityOf(s *gateway.Socket) (*Identity, bool) {
	id, ok := identityKey.Get(s)
	return id, ok && id != nil
}

// UserID returns the user id of an authenticated socket, or "".
func UserID(s *gateway.Socket) string {
	if id, ok := IdentityOf(s); ok {
		return id.UserID
	}
	return ""
}

// ClaimsOf returns the claims of an authenticated socket's token, or nil.
func ClaimsOf(s *gateway.Socket) jwt.MapClaims {
	if id, ok := IdentityOf(s); ok {
		return id.Claims
	}
	return nil
}
