package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sockgate/sockgate/gateway"
)

// Identity is what a verified token says about its bearer. The guard stores it as the
// socket's data; it travels as JSON to other nodes with FetchSockets.
type Identity struct {
	// UserID is the value of the first user claim present (see Config.UserClaims).
	UserID string `json:"userId"`
	// Claims are all the token's claims; numbers are json.Number.
	Claims jwt.MapClaims `json:"claims"`
	// ExpiresAt is the token's exp, zero if it has none.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// IdentityOf returns the identity the guard stored on s, if any.
func IdentityOf(s *gateway.Socket) (*Identity, bool) {
	id, ok := gateway.DataAs[*Identity](s)
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

// RemoteIdentity decodes the identity from the data of a socket found with FetchSockets.
func RemoteIdentity(r *gateway.RemoteSocket) (*Identity, error) {
	data := r.Data()
	if len(data) == 0 || string(data) == "null" {
		return nil, errors.New("auth: the socket carries no identity")
	}
	var id Identity
	if err := json.Unmarshal(data, &id); err != nil {
		return nil, fmt.Errorf("auth: decoding the identity of socket %s: %w", r.ID(), err)
	}
	if id.UserID == "" {
		return nil, errors.New("auth: the socket carries no identity")
	}
	return &id, nil
}
