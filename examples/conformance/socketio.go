package main

import (
	"errors"
	"net/http"
	"time"

	"github.com/sockgate/sockgate/gateway"
)

// socketIOServer is configured as the official Socket.IO v5 conformance suite expects:
// fast heartbeats, a one-second connect timeout, any origin, namespaces "/" and "/custom".
func socketIOServer() (*gateway.Server, error) {
	srv, err := gateway.NewServer(gateway.Config{
		PingInterval:      300 * time.Millisecond,
		PingTimeout:       200 * time.Millisecond,
		ConnectTimeout:    time.Second,
		MaxHTTPBufferSize: 1e6,
		CORSOrigins:       []string{"*"},
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
