package engineio

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// writeWait bounds every websocket write that waits for the socket, so a peer
// that stops reading cannot pin the writer forever.
const writeWait = 10 * time.Second

// closeGrace is how long a server-closed websocket waits for the client's
// close frame before the socket is dropped.
const closeGrace = time.Second

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
			closing, code := c.closed, int(c.wsClose)
			if cap(c.queue) > maxKeptQueue {
				c.queue = nil
			}
			c.mu.Unlock()
			if closing {
				if code == 0 {
					_ = w.writeControl(appendCloseFrame(nil, closeNormal), closeGrace)
					// The reader drops the socket on the client's close frame, or
					// when the grace passes, or when the server stops waiting.
					w.graceWait.Store(true)
					if c.srv.hurry.Load() {
						w.close()
					} else {
						w.closeAfter(closeGrace)
					}
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
		c.replies = 0
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

// messageFrames appends the frames of msgs to bufs as header and payload pairs that stay
// valid after the call (they belong to the messages), so that a partial write can keep
// them.
func messageFrames(bufs [][]byte, msgs []*Message, b64 bool) [][]byte {
	for _, m := range msgs {
		bufs = m.appendFrame(bufs, b64)
	}
	return bufs
}

// consumed drops the first n bytes of bufs, returning the rest.
func consumed(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if len(bufs) > 0 && n > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}

// writeScratch is one non-blocking write: its frame list and, on Linux, its raw write
// callback, bound once. Pooled, so that a write allocates nothing (a closure capturing
// its results would escape to the heap on every call).
type writeScratch struct {
	small [8][]byte // room for the frames of a few messages
	bufs  [][]byte
	n     int
	err   error
	fn    func(fd uintptr) bool
}

var writeScratches = sync.Pool{New: func() any {
	ws := new(writeScratch)
	ws.fn = ws.do
	return ws
}}

func getWriteScratch() *writeScratch { return writeScratches.Get().(*writeScratch) }

func putWriteScratch(ws *writeScratch) {
	clear(ws.small[:])
	ws.bufs = nil
	writeScratches.Put(ws)
}

// tryWrite writes ws.bufs without blocking and returns the rest the socket did not take
// (a copy of the list: the caller may keep it).
func (w *wsConn) tryWrite(ws *writeScratch) ([][]byte, error) {
	bufs := ws.bufs
	if w.rc == nil {
		return append([][]byte(nil), bufs...), nil
	}
	n, err := writevNB(w.rc, ws)
	if err != nil && !errors.Is(err, errWouldBlock) {
		return nil, err
	}
	rest := consumed(bufs, n)
	if len(rest) == 0 {
		return nil, nil
	}
	return append([][]byte(nil), rest...), nil
}

// writeAll writes bufs, waiting for the socket as long as its write deadline allows.
func (w *wsConn) writeAll(bufs [][]byte) error {
	if w.rc == nil {
		nb := net.Buffers(bufs)
		_, err := nb.WriteTo(w.nc)
		return err
	}
	return writevAll(w.rc, bufs)
}
