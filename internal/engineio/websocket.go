package engineio

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// writeWait bounds every websocket write that waits for the socket, so a peer
// that stops reading cannot pin the writer forever.
const writeWait = 10 * time.Second

// closeGrace is how long a server-closed websocket waits for the client's
// close frame before the socket is dropped.
const closeGrace = time.Second

var (
	probePing = []byte("2probe")
	probePong = []byte("3probe")
	upgradeOK = []byte("5")
)

// openWebSocket starts a session on a fresh websocket handshake. The HTTP
// handler goroutine returns right after: a poller reads the session's socket
// (wsconn.go).
func (s *Server) openWebSocket(ws *websocket.Conn, r *http.Request, sid string) {
	w := newWSConn(s, ws.UnderlyingConn(), nil)
	c := s.register(r, sid, w)
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

// readBlocking is a session's reader goroutine where no poller watches its
// socket: the same frame handling on blocking reads.
func (c *Conn) readBlocking(w *wsConn) {
	defer c.srv.wg.Done()
	buf := make([]byte, c.srv.cfg.ReadBufferSize)
	for c.readReady(w, buf, w.nc) != readEnd {
	}
}

// writeInline is Send's fast path on websocket: with nothing queued and no
// writer running, the sending goroutine takes the writer role and writes the
// frames itself without blocking. What the socket does not take, and what was
// queued meanwhile, goes to a writer goroutine. c.mu is held on entry and on
// return, not during the write.
func (c *Conn) writeInline(msgs []*Message) {
	c.writerRunning = true
	w, b64 := c.ws, c.b64
	c.mu.Unlock()
	ws := getWriteScratch()
	ws.bufs = messageFrames(ws.small[:0], msgs, b64)
	rest, err := w.tryWrite(ws)
	putWriteScratch(ws)
	c.mu.Lock()
	if err != nil {
		c.writerRunning = false
		c.shutLocked(ReasonTransportError, fmt.Errorf("engineio: websocket write: %w", err), closeNow, false)
		return
	}
	w.pend = rest
	switch {
	case len(rest) == 0 && len(c.queue) == 0 && !c.closed:
		c.writerRunning = false
	case !c.closed:
		// The open session holds a share of the wait group, so adding one cannot
		// come after Close's Wait.
		c.srv.wg.Add(1)
		go c.writeLoop(w)
	case c.flushOnClose && w.acquire():
		// Closed while this write ran: the socket's share, if the socket is still
		// open, covers the writer that flushes it.
		go c.writeLoop(w)
	default:
		c.writerRunning = false
	}
}

// writeLoop is the writer goroutine of a websocket session: started when a
// write has to wait for the socket, it writes until the queue is empty and
// then ends, so an idle session pins no writer goroutine. After a flushing
// close it writes the close frame.
func (c *Conn) writeLoop(w *wsConn) {
	defer c.srv.wg.Done()
	var batch []*Message
	var bufs [][]byte
	var closeDeadline time.Time // one bound for the whole flush after a close
	for {
		c.mu.Lock()
		if batch != nil {
			clear(batch)
			if c.spare == nil && cap(batch) <= maxKeptQueue {
				c.spare = batch[:0]
			}
			batch = nil
		}
		if c.closed && !c.flushOnClose {
			c.writerRunning = false
			c.mu.Unlock()
			return
		}
		if len(c.queue) == 0 && len(w.pend) == 0 {
			c.writerRunning = false
			closing, code := c.closed, c.wsClose
			if cap(c.queue) > maxKeptQueue {
				c.queue = nil
			}
			c.mu.Unlock()
			if closing {
				if code == 0 {
					_ = w.writeControl(appendCloseFrame(nil, closeNormal), closeGrace)
					// The reader drops the socket on the client's close frame, or
					// when the grace passes.
					w.closeAfter(closeGrace)
					return
				}
				// An answer to the client's close frame or to its protocol error:
				// nothing more to wait for.
				_ = w.writeControl(appendCloseFrame(nil, code), closeGrace)
				w.close()
				return
			}
			// A later write starts without this writer's deadline.
			_ = w.nc.SetWriteDeadline(time.Time{})
			return
		}
		batch, c.queue, c.spare = c.queue, c.spare, nil
		closing := c.closed
		c.mu.Unlock()

		if !closing {
			_ = w.nc.SetWriteDeadline(time.Now().Add(writeWait))
		} else if closeDeadline.IsZero() {
			closeDeadline = time.Now().Add(writeWait)
			_ = w.nc.SetWriteDeadline(closeDeadline)
		}
		bufs = messageFrames(append(bufs[:0], w.pend...), batch, c.b64)
		w.pend = nil
		err := w.writeAll(bufs)
		clear(bufs)
		if err != nil {
			c.mu.Lock()
			c.writerRunning = false
			c.shutLocked(ReasonTransportError, fmt.Errorf("engineio: websocket write: %w", err), closeNow, false)
			c.mu.Unlock()
			w.close()
			return
		}
	}
}
