package engineio

import (
	"bytes"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

var (
	probePing = []byte("2probe")
	probePong = []byte("3probe")
	upgradeOK = []byte("5")
)

// openWebSocket starts a session on a fresh websocket handshake. The HTTP
// handler goroutine returns right after: a poller reads the session's socket
// (poller_linux.go).
func (s *Server) openWebSocket(ws *websocket.Conn, r *http.Request, sid, addr string) {
	w := newWSConn(s, ws.UnderlyingConn(), nil)
	c := s.register(r, sid, addr, w)
	if c == nil {
		w.reject(closeGoingAway)
		return
	}
	c.mu.Lock()
	if !c.closed {
		_ = c.pushLocked(newMessage(appendOpenPacket(nil, sid, false, &s.cfg), false))
	}
	c.mu.Unlock()
	s.handler.OnOpen(c)
	s.watch(c, w)
}

// upgrade handles a websocket request carrying the sid of a session: the
// start of a polling to websocket upgrade. Any other case (the session is
// already on websocket or upgrading, upgrades are off) is accepted and then
// closed, as clients expect a close rather than a failed handshake.
func (s *Server) upgrade(rw http.ResponseWriter, r *http.Request, c *Conn) {
	ws, err := s.upgrader.Upgrade(rw, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	w := newWSConn(s, ws.UnderlyingConn(), nil)
	b64 := queryValue(r.URL.RawQuery, "b64") == "1"
	c.mu.Lock()
	ok := s.upgrades && !c.closed && c.transport == TransportPolling && c.probe == nil
	if ok {
		c.probe = w
		// One share for the socket (released when it closes), one for the probe
		// goroutine.
		s.wg.Add(2)
		w.release = s.wg.Done
		go c.probeLoop(w, b64)
	}
	c.mu.Unlock()
	if !ok {
		w.reject(closePolicyViolated)
	}
}

// probeLoop reads the probing websocket of an upgrade: "2probe" is answered
// with "3probe" (and from then on every polling GET gets a noop), "5"
// switches the session to this socket, which a poller then reads. Anything
// else, an error, or UpgradeTimeout without "5" aborts the upgrade; the
// session stays on polling.
func (c *Conn) probeLoop(w *wsConn, b64 bool) {
	defer c.srv.wg.Done()
	_ = w.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.UpgradeTimeout))
	for {
		op, data, err := w.readMessage()
		switch {
		case err != nil:
		case op == opPing:
			if w.writeControl(append(appendFrameHeader(nil, opPong, len(data)), data...), writeWait) == nil {
				continue
			}
		case op == opText && bytes.Equal(data, probePing):
			c.mu.Lock()
			ok := c.probe == w
			if ok {
				c.upgrading = true
				if c.getParked {
					c.wakeGetLocked()
				}
			}
			c.mu.Unlock()
			if !ok {
				w.close()
				return
			}
			// Only this goroutine writes to the probe until the switch.
			frame := append(appendFrameHeader(nil, opText, len(probePong)), probePong...)
			if w.writeControl(frame, writeWait) == nil {
				continue
			}
		case op == opText && bytes.Equal(data, upgradeOK):
			_ = w.nc.SetReadDeadline(time.Time{})
			_ = w.nc.SetWriteDeadline(time.Time{})
			if c.completeUpgrade(w, b64) {
				// Frames that came right behind "5" are handled before the poller
				// takes over the socket.
				if len(w.rbuf) > 0 && !c.handleFrames(w, w.rbuf, true) {
					return
				}
				c.srv.watch(c, w)
				return
			}
		}
		c.abortProbe(w)
		w.close()
		return
	}
}

// completeUpgrade switches the session to w and flushes the queue over it.
// b64 comes from the websocket request: binary encoding is per transport.
func (c *Conn) completeUpgrade(w *wsConn, b64 bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.probe != w {
		return false
	}
	c.probe = nil
	c.upgrading = false
	c.transport = TransportWebSocket
	c.ws = w
	c.b64 = b64 // read by the writer, which starts after this under the lock
	if c.getParked {
		c.wakeGetLocked() // it answers with a noop
	}
	if len(c.queue) > 0 {
		c.kickLocked()
	}
	return true
}

func (c *Conn) abortProbe(w *wsConn) {
	c.mu.Lock()
	if c.probe == w {
		c.probe = nil
		c.upgrading = false
	}
	c.mu.Unlock()
}
