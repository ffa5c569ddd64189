package main

import (
	"errors"
	"log"
	"net/http"
	"time"

	"github.com/sockgate/sockgate/internal/eiocodec"
	"github.com/sockgate/sockgate/internal/engineio"
)

// echo sends every message back on its session, text as text and binary as
// binary, which is all the Engine.IO suite needs from the layer above.
type echo struct {
	// onClose, when set, hears the reason of every closed session: the
	// conformance tests use it to know when a session has ended.
	onClose func(reason string)
}

func (echo) OnOpen(*engineio.Conn) {}

func (echo) OnMessage(c *engineio.Conn, data []byte, binary bool) {
	var m *engineio.Message
	if binary {
		m = engineio.NewBinaryMessage(data)
	} else {
		// The packet handed to NewTextMessage carries its '4' type byte.
		m = engineio.NewTextMessage(append([]byte{eiocodec.PacketMessage}, data...))
	}
	_ = c.Send(m) // the session is closing if this fails; nothing to do
}

func (e echo) OnClose(_ *engineio.Conn, reason string, _ error) {
	if e.onClose != nil {
		e.onClose(reason)
	}
}

// engineIOHandler is the server the Engine.IO v4 suite expects on /engine.io/.
// onClose may be nil.
func engineIOHandler(onClose func(reason string)) (http.Handler, *engineio.Server) {
	srv := engineio.NewServer(engineio.Config{
		PingInterval:   300 * time.Millisecond,
		PingTimeout:    200 * time.Millisecond,
		MaxPayload:     1e6,
		AllowedOrigins: []string{"*"},
	}, echo{onClose: onClose})
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", srv)
	mux.Handle("/engine.io", srv)
	return mux, srv
}

func runEngineIO(addr string) error {
	h, srv := engineIOHandler(nil)
	defer srv.Close()
	// No ReadTimeout/WriteTimeout: they would cut parked polling GETs.
	hs := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("engine.io conformance server on %s/engine.io/", addr)
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
