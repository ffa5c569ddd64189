package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

type contextKey struct{}

// FromContext returns the identity HTTPMiddleware stored in a request's context.
func FromContext(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(contextKey{}).(*Identity)
	return id, ok && id != nil
}

// NewContext returns a copy of ctx carrying id, as HTTPMiddleware does.
func NewContext(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, contextKey{}, id)
}

// VerifyRequest verifies the "Authorization: Bearer <token>" header of r. A missing header
// gives ErrNoToken; any other refusal wraps ErrInvalidToken.
func (j *JWT) VerifyRequest(r *http.Request) (*Identity, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, ErrNoToken
	}
	return j.Verify(bearerToken(h))
}

// bearerToken returns the credentials of an Authorization header value of the Bearer
// scheme, and "" for any other scheme.
func bearerToken(h string) string {
	h = strings.TrimSpace(h)
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(h[7:])
}

// HTTPMiddleware lets through requests with a valid bearer token, with the *Identity in
// their context (FromContext), and answers the others with 401, a WWW-Authenticate
// challenge and a JSON body {"code":"unauthenticated","message":...}.
func (j *JWT) HTTPMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := j.VerifyRequest(r)
		if err != nil {
			msg, challenge := MessageInvalidToken, `Bearer error="invalid_token"`
			if errors.Is(err, ErrNoToken) {
				msg, challenge = MessageAuthRequired, "Bearer"
			}
			h := w.Header()
			h.Set("WWW-Authenticate", challenge)
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"code":"unauthenticated","message":"` + msg + `"}` + "\n"))
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), id)))
	})
}
