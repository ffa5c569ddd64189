package engineio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// writeWait bounds every websocket write, so a peer that stops reading
// cannot pin the writer forever.
const writeWait = 10 * time.Second

// closeGrace is how long a server-closed websocket waits for the client's
// close frame before the socket is dropped.
const closeGrace = time.Second

// readPool holds websocket read buffers, taken only while a frame is being
// read, so that an idle connection holds none.
var readPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledRead is the largest read buffer put back into readPool.
const maxPooledRead = 64 << 10

var (
	probePing = []byte("2probe")
	probePong = []byte("3probe")
	upgradeOK = []byte("5")
)

// openWebSocket starts a session on a fresh websocket handshake. The HTTP
// handler goroutine returns right after: the session runs on its own reader.
func (s *Server) openWebSocket(ws *websocket.Conn, r *http.Request, sid string) {
	ws.SetReadLimit(s.cfg.MaxPayload)
	c := s.register(r, sid, ws)
	if c == nil {
		rejectWebSocket(ws, websocket.CloseGoingAway)
		return
	}
	c.mu.Lock()
	if !c.closed {
		_ = c.pushLocked(&Message{data: appendOpenPacket(nil, sid, false, &s.cfg)})
	}
	c.mu.Unlock()
	s.handler.OnOpen(c)
	go c.readLoop(ws) // its wait group share was taken by register
}

// upgrade handles a websocket request carrying the sid of a session: the
// start of a polling to websocket upgrade. Any other case (the session is
// already on websocket or upgrading, upgrades are off) is accepted and then
// closed, as clients expect a close rather than a failed handshake.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, c *Conn) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	ws.SetReadLimit(s.cfg.MaxPayload)
	b64 := queryValue(r.URL.RawQuery, "b64") == "1"
	c.mu.Lock()
	ok := s.upgrades && !c.closed && c.transport == TransportPolling && c.probe == nil
	if ok {
		c.probe = ws
		s.wg.Add(1)
		go c.probeLoop(ws, b64)
	}
	c.mu.Unlock()
	if !ok {
		rejectWebSocket(ws, websocket.ClosePolicyViolation)
	}
}

// rejectWebSocket closes a websocket that will not carry a session.
func rejectWebSocket(ws *websocket.Conn, code int) {
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
	_ = ws.Close()
}

// probeLoop reads the probing websocket of an upgrade: "2probe" is answered
// with "3probe" (and from then on every polling GET gets a noop), "5"
// switches the session to this socket, which this goroutine then goes on
// reading. Anything else, an error, or UpgradeTimeout without "5" aborts the
// upgrade; the session stays on polling.
func (c *Conn) probeLoop(ws *websocket.Conn, b64 bool) {
	defer c.srv.wg.Done()
	_ = ws.SetReadDeadline(time.Now().Add(c.srv.cfg.UpgradeTimeout))
	for {
		typ, data, err := ws.ReadMessage()
		switch {
		case err != nil:
		case typ == websocket.TextMessage && bytes.Equal(data, probePing):
			c.mu.Lock()
			ok := c.probe == ws
			if ok {
				c.upgrading = true
				if c.getParked {
					c.wakeGetLocked()
				}
			}
			c.mu.Unlock()
			if !ok {
				_ = ws.Close()
				return
			}
			// Only this goroutine writes to the probe until the switch.
			_ = ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err = ws.WriteMessage(websocket.TextMessage, probePong); err == nil {
				continue
			}
		case typ == websocket.TextMessage && bytes.Equal(data, upgradeOK):
			if c.completeUpgrade(ws, b64) {
				_ = ws.SetReadDeadline(time.Time{})
				c.readFrames(ws)
				return
			}
		}
		c.abortProbe(ws)
		_ = ws.Close()
		return
	}
}

// completeUpgrade switches the session to ws and flushes the queue over it.
// b64 comes from the websocket request: binary encoding is per transport.
func (c *Conn) completeUpgrade(ws *websocket.Conn, b64 bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.probe != ws {
		return false
	}
	c.probe = nil
	c.upgrading = false
	c.transport = TransportWebSocket
	c.ws = ws
	c.b64 = b64 // read by the writer, which starts after this under the lock
	if c.getParked {
		c.wakeGetLocked() // it answers with a noop
	}
	if len(c.queue) > 0 {
		c.kickLocked()
	}
	return true
}

func (c *Conn) abortProbe(ws *websocket.Conn) {
	c.mu.Lock()
	if c.probe == ws {
		c.probe = nil
		c.upgrading = false
	}
	c.mu.Unlock()
}

// readLoop is the reader goroutine of a websocket session.
func (c *Conn) readLoop(ws *websocket.Conn) {
	defer c.srv.wg.Done()
	c.readFrames(ws)
}

// readFrames reads and dispatches frames until the socket fails or the
// session closes; it then drops the socket. It is kept shallow: the stack of
// an idle reader is what an idle session costs.
func (c *Conn) readFrames(ws *websocket.Conn) {
	defer ws.Close()
	for {
		typ, r, err := ws.NextReader()
		if err != nil {
			c.readFailed(err)
			return
		}
		if !c.readFrame(typ, r) {
			return
		}
	}
}

func (c *Conn) readFailed(err error) {
	if errors.Is(err, websocket.ErrReadLimit) {
		c.shut(ReasonTransportError, fmt.Errorf("%w: %w", ErrPayloadTooLarge, err), closeNow, false)
		return
	}
	c.shut(ReasonTransportClose, err, closeNow, false)
}

// readFrame reads one frame into a pooled buffer and handles it. Only
// messages are copied out, since the handler owns what it gets.
func (c *Conn) readFrame(typ int, r io.Reader) bool {
	bp := readPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledRead {
			*bp = (*bp)[:0]
			readPool.Put(bp)
		}
	}()
	buf, err := readAll(r, (*bp)[:0])
	*bp = buf
	if err != nil {
		c.readFailed(err)
		return false
	}
	if typ == websocket.BinaryMessage {
		c.deliver(bytes.Clone(buf), true)
		return true
	}
	p, err := DecodePacket(buf)
	if err != nil {
		c.shut(ReasonParseError, err, closeNow, false)
		return false
	}
	switch p.Type {
	case PacketMessage:
		data := p.Data
		if !p.Binary {
			data = bytes.Clone(data) // p.Data aliases the pooled buffer
		}
		c.deliver(data, p.Binary)
	case PacketPong:
		c.onPong()
	case PacketClose:
		c.shut(ReasonTransportClose, nil, closeNow, false)
		return false
	case PacketPing:
		c.shut(ReasonTransportError, fmt.Errorf("%w: ping from the client", ErrProtocol), closeNow, false)
		return false
	}
	// open, upgrade and noop mean nothing on an established websocket.
	return true
}

// readAll appends everything r yields to buf.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// writeLoop is the on-demand writer of a websocket session: started when
// something is queued and no writer runs, it writes until the queue is empty
// and then ends, so an idle session pins no writer goroutine. After a
// flushing close it writes the close frame.
func (c *Conn) writeLoop(ws *websocket.Conn) {
	defer c.srv.wg.Done()
	var batch []*Message
	var scratch []byte          // only for b64 clients
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
		if len(c.queue) == 0 {
			c.writerRunning = false
			closing := c.closed
			if cap(c.queue) > maxKeptQueue {
				c.queue = nil
			}
			c.mu.Unlock()
			if closing {
				deadline := time.Now().Add(closeGrace)
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline)
				// The reader drops the socket on the client's close frame,
				// or when this deadline passes.
				_ = ws.SetReadDeadline(deadline)
			}
			return
		}
		batch, c.queue, c.spare = c.queue, c.spare, nil
		closing := c.closed
		c.mu.Unlock()

		if !closing {
			_ = ws.SetWriteDeadline(time.Now().Add(writeWait))
		} else if closeDeadline.IsZero() {
			closeDeadline = time.Now().Add(writeWait)
			_ = ws.SetWriteDeadline(closeDeadline)
		}
		for _, m := range batch {
			if err := m.writeTo(ws, c.b64, &scratch); err != nil {
				c.mu.Lock()
				c.writerRunning = false
				c.shutLocked(ReasonTransportError, fmt.Errorf("engineio: websocket write: %w", err), closeNow, false)
				c.mu.Unlock()
				_ = ws.Close()
				return
			}
		}
	}
}
