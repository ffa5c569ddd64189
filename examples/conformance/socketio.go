package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sockgate/sockgate/gateway"
)

// emitWithAckTimeout bounds the wait for a client's answer to "emit-with-ack".
const emitWithAckTimeout = 5 * time.Second

// socketIOServer is configured as the official Socket.IO v5 conformance suite expects:
// fast heartbeats, a one-second connect timeout, any origin, namespaces "/" and "/custom".
//
// It also answers "emit-with-ack", which the official suite never sends, so that the
// project's own tests can check server-to-client acknowledgements: the server emits
// "emit-with-ack" back with the same arguments and an ack id, then reports the client's
// answer as "emit-with-ack-result".
func socketIOServer() (*gateway.Server, error) {
	srv, err := gateway.NewServer(gateway.Config{
		PingInterval:      300 * time.Millisecond,
		PingTimeout:       200 * time.Millisecond,
		ConnectTimeout:    time.Second,
		MaxHTTPBufferSize: 1e6,
		CORSOrigins:       []string{"*"},
		// The suites open sessions from one address faster than the per-address defaults
		// allow an internet client to.
		HandshakeRate:        -1,
		MaxPendingPerAddress: -1,
	})
	if err != nil {
		return nil, err
	}
	srv.OnConnection(func(s *gateway.Socket) {
		_ = s.Emit("auth", s.Handshake().Auth)
		s.On("message", func(e *gateway.Event) {
			_ = s.Emit("message-back", e.Args)
		})
		s.On("message-with-ack", func(e *gateway.Event) {
			_ = e.Ack(e.Args)
		})
		s.On("emit-with-ack", func(e *gateway.Event) {
			// Waiting here would hold back this socket's later events; the wait ends
			// with the answer, the timeout, or the socket's disconnection.
			go func() {
				ctx, cancel := context.WithTimeout(s.Context(), emitWithAckTimeout)
				defer cancel()
				res, err := s.EmitWithAck(ctx, "emit-with-ack", e.Args)
				if err != nil {
					return
				}
				_ = s.Emit("emit-with-ack-result", res)
			}()
		})
	})
	custom, err := srv.Of("/custom")
	if err != nil {
		return nil, err
	}
	custom.OnConnection(func(s *gateway.Socket) {
		_ = s.Emit("auth", s.Handshake().Auth)
	})
	return srv, nil
}

func runSocketIO(addr string) error {
	srv, err := socketIOServer()
	if err != nil {
		return err
	}
	hs := &http.Server{Addr: addr, Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	err = hs.ListenAndServe()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
