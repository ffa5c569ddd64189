// Package auth authenticates sockets and HTTP requests with JSON Web Tokens
// (github.com/golang-jwt/jwt/v5).
//
// [NewJWT] builds a verifier from a [Config]: the HMAC secret, the accepted algorithms
// (HS256 only unless told otherwise, so that a token can never choose its own algorithm,
// "none" included), a clock leeway, and optionally the issuer and audience every token
// must carry. Every token must carry exp: one without it is refused, unless
// Config.AllowNoExpiration says otherwise.
//
// # Sockets
//
// [JWT.Guard] is a gateway.Guard. Attached to a gateway (by name in a `use:` tag, or
// with gateway.WithGuards), it runs on the namespace handshake and before every event:
//
//   - on the handshake it reads the token from the CONNECT auth payload {"token": "..."}
//     (a "Bearer " prefix is allowed), or else from the handshake's
//     "Authorization: Bearer ..." header, which Node clients can set with extraHeaders;
//     it verifies it and keeps an [*Identity] on the socket under the package's own
//     gateway.Key, so that the socket's data stays the application's. A missing token
//     refuses the connection with an unauthenticated "Authentication required", a bad or
//     expired one with an unauthenticated "Invalid token";
//   - before an event it only checks that the socket holds an identity whose token has not
//     expired since (a lock and a clock read);
//   - when the token expires, plus the leeway, the socket is disconnected with a server
//     DISCONNECT (the client sees "io server disconnect" and does not reconnect by
//     itself; its application fetches a fresh token and connects again), and OnDisconnect
//     receives [ReasonTokenExpired]. One timer per socket, released when it leaves.
//
// [UserID], [ClaimsOf] and [IdentityOf] read the identity back in handlers. The identity
// stays on the socket's node: an application whose other nodes need it (through
// FetchSockets) copies what they need into the socket's data.
//
//	j, err := auth.NewJWT(auth.Config{Secret: secret})
//	srv, err := gateway.NewServer(cfg, gateway.WithNamed("jwt", j.Guard()))
//
// or, in an fx application:
//
//	fx.Provide(func() (*auth.JWT, error) { return auth.NewJWT(auth.Config{Secret: secret}) }),
//	di.Named("jwt", func(j *auth.JWT) gateway.Guard { return j.Guard() }),
//
//	type ChatGateway struct {
//		decorators.Gateway `namespace:"/chat" use:"jwt"`
//		...
//	}
//
// # HTTP
//
// [JWT.VerifyRequest] verifies the bearer token of a request, and [JWT.HTTPMiddleware]
// protects a handler with it, answering 401 otherwise and passing the identity on in
// the request's context ([FromContext]). [JWT.Sign] issues tokens, for development
// endpoints and tests.
//
// # Concurrency
//
// A JWT is immutable after NewJWT; every method, and the guard and middleware it returns,
// is safe for concurrent use. The package starts no goroutines.
package auth
