package engineio

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// ErrServerBusy means the server-wide allowance of bytes held by partial messages
// (Config.MaxBufferedBytes) was used up: the websocket session is closed with 1013 (try
// again later), the polling POST answered with 503; the session ends with
// ReasonTransportError.
var ErrServerBusy = errors.New("engineio: server busy: too many bytes held by partial messages")

// closeTryAgain is the close code of a websocket dropped for want of buffer space.
const closeTryAgain = 1013

// bodyChunk is the first buffer of a POST body and the least a partial websocket message
// grows by: buffers grow with the bytes received (doubling), never to the size a header
// announces, so an announcement costs nothing until its bytes arrive.
const bodyChunk = 4 << 10

// memBudget is the server-wide allowance of bytes held by partial messages: websocket
// messages being received and POST bodies being read.
type memBudget struct {
	limit int64
	used  atomic.Int64
}

// take reserves n bytes, or reports false when that would exceed the limit.
func (b *memBudget) take(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *memBudget) give(n int64) { b.used.Add(-n) }

// growTo returns the capacity a partial message buffer holding have bytes grows to when it
// needs need in all: double what is held (at least bodyChunk more), never past need.
func growTo(have, need int) int {
	return min(need, have+max(have, bodyChunk))
}

// hold sets the bytes w's reader holds for partial messages (its read buffer and the
// message being assembled from fragments) to n, taking the growth from the server's
// allowance. It fails when the allowance is used up or the socket is closed; close gives
// back what is held.
func (w *wsConn) hold(n int) error {
	if n == 0 && w.held.Load() == 0 {
		return nil // the common case: nothing partial, before or after
	}
	w.closeMu.Lock()
	defer w.closeMu.Unlock()
	if w.closed.Load() {
		return net.ErrClosed
	}
	delta := int64(n) - w.held.Load()
	if delta > 0 && !w.srv.partial.take(delta) {
		return ErrServerBusy
	}
	if delta < 0 {
		w.srv.partial.give(-delta)
	}
	w.held.Store(int64(n))
	return nil
}

// heldNow is what w's reader holds at the moment: its buffer and its fragment assembly.
func (w *wsConn) heldNow() int { return cap(w.rbuf) + cap(w.fr.frag) }

// readBody reads a POST body of at most limit bytes into a buffer of its own (delivered
// messages alias it, so it is never reused). The buffer grows with the bytes received,
// whatever Content-Length announces, within the server's allowance, which it holds until
// the body is read. The read has the deadline Config.PostReadTimeout, and ends early when
// the session ends (Conn.abandonPostLocked).
func (c *Conn) readBody(r *http.Request) ([]byte, error) {
	limit := c.srv.cfg.MaxPayload
	if r.ContentLength > limit {
		return nil, fmt.Errorf("%w: %d bytes", ErrPayloadTooLarge, r.ContentLength)
	}
	want := limit + 1 // without Content-Length: one byte more tells an oversized body
	if r.ContentLength >= 0 {
		want = r.ContentLength
	}
	var held int64
	defer func() { c.srv.partial.give(held) }()
	var body []byte
	for {
		if len(body) == cap(body) {
			if int64(len(body)) == want {
				break
			}
			n := int64(growTo(len(body), int(want)))
			if !c.srv.partial.take(n - held) {
				return nil, ErrServerBusy
			}
			held = n
			nb := make([]byte, len(body), n)
			copy(nb, body)
			body = nb
		}
		m, err := r.Body.Read(body[len(body):cap(body)])
		body = body[:len(body)+m]
		if err == io.EOF {
			if r.ContentLength >= 0 && int64(len(body)) < want {
				return nil, fmt.Errorf("engineio: read body: %w", io.ErrUnexpectedEOF)
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("engineio: read body: %w", err)
		}
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrPayloadTooLarge, limit)
	}
	return body, nil
}

// startPost arms the POST's read deadline and lets the session abandon the read when it
// ends. c.mu is held.
func (c *Conn) startPostLocked(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(c.srv.cfg.PostReadTimeout))
	c.postRC = rc
}

// endPostLocked ends a POST's read, before its packets are delivered; readErr is the
// read's error. A body read whole, in a session still open, leaves the connection serving:
// the read deadline is cleared, since the connection's next request (a GET that may park
// for a long time) must not inherit it. Otherwise the connection is done and the answer
// must close it (closeConn): the rest of a body not read whole is not waited for (the
// deadline goes into the past), and a session that ended during the read has forced the
// deadline into the past already (abandonPostLocked), which net/http may have taken for
// the client leaving, ending the context of the connection and of every later request on
// it. c.mu is held.
func (c *Conn) endPostLocked(readErr error) (closeConn bool) {
	rc := c.postRC
	c.postRC = nil
	if readErr == nil && !c.closed {
		_ = rc.SetReadDeadline(time.Time{})
		return false
	}
	_ = rc.SetReadDeadline(time.Now())
	return true
}

// abandonPostLocked makes a POST body read in progress fail now: the session has ended,
// so what it brings would be dropped, and the request must not hold its buffer and
// goroutine until the client sends the rest. Only a read in progress: once the body is
// read (endPostLocked), a session that ends leaves the connection alone, since a read
// deadline in the past, even with nothing left to read, makes net/http's background read
// of the connection fail and cancel the context of its later requests. c.mu is held.
func (c *Conn) abandonPostLocked() {
	if c.postRC != nil {
		_ = c.postRC.SetReadDeadline(time.Now())
	}
}
