package auth

import (
	"encoding/json"
	"errors"

	"github.com/sockgate/sockgate/gateway"
)

// ReasonTokenExpired is the disconnect reason of a socket whose token expired (leeway
// included) while it was connected. The client sees "io server disconnect".
const ReasonTokenExpired gateway.DisconnectReason = "token expired"

// The messages a refused client sees. They name no reason, so that a probing client
// learns nothing about the secret or the checks.
const (
	MessageAuthRequired = "Authentication required"
	MessageInvalidToken = "Invalid token"
	MessageTokenExpired = "Token expired"
)

// Guard returns the socket guard. On the handshake it verifies the token of the CONNECT
// auth payload {"token"} or, failing that, of the handshake's Authorization header, and
// stores the *Identity as the socket's data; on an event it checks that the socket holds
// an identity whose token has not expired. Refusals are *gateway.Error with
// CodeUnauthenticated and the messages above.
//
// A socket that reaches an event without a handshake check (the guard named only on a
// handler) is verified at its first guarded event instead.
//
// When the token carries exp, the socket is disconnected when it expires, leeway
// included, with a server DISCONNECT and ReasonTokenExpired (gateway.Socket.
// DisconnectAfter); its timer ends with the socket.
func (j *JWT) Guard() gateway.Guard {
	return func(ec *gateway.ExecutionContext) error {
		s := ec.Socket
		if !ec.IsHandshake() {
			if id, ok := IdentityOf(s); ok {
				if j.expired(id) {
					return gateway.NewError(gateway.CodeUnauthenticated, MessageTokenExpired)
				}
				return nil
			}
		}
		id, err := j.verifySocket(s)
		if err != nil {
			if errors.Is(err, ErrNoToken) {
				return gateway.NewError(gateway.CodeUnauthenticated, MessageAuthRequired)
			}
			s.Namespace().Server().Logger().Debug("auth: token refused",
				"namespace", s.Namespace().Name(), "socket", s.ID(), "err", err)
			return gateway.NewError(gateway.CodeUnauthenticated, MessageInvalidToken)
		}
		identityKey.Set(s, id)
		if d, ok := j.lifetime(id); ok {
			s.DisconnectAfter(d, ReasonTokenExpired)
		}
		return nil
	}
}

// verifySocket verifies the token a socket was opened with.
func (j *JWT) verifySocket(s *gateway.Socket) (*Identity, error) {
	token, err := socketToken(s)
	if err != nil {
		return nil, err
	}
	return j.Verify(token)
}

// socketToken finds the token of a handshake: the auth payload's "token" first, then
// the Authorization header.
func socketToken(s *gateway.Socket) (string, error) {
	hs := s.Handshake()
	var payload struct {
		Token json.RawMessage `json:"token"`
	}
	// A payload that is not an object carries no token; the header may still.
	if json.Unmarshal(hs.Auth, &payload) == nil && len(payload.Token) > 0 && string(payload.Token) != "null" {
		var token string
		if err := json.Unmarshal(payload.Token, &token); err != nil {
			return "", errors.Join(ErrInvalidToken, errors.New("auth: the token is not a string"))
		}
		if trimBearer(token) != "" {
			return token, nil
		}
	}
	if hs.Headers != nil {
		if h := hs.Headers.Get("Authorization"); h != "" {
			return bearerToken(h), nil
		}
	}
	return "", ErrNoToken
}
