package engineio

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// defaultDetachAfter is how long a polling GET waits inside net/http before it is
// detached: a session that gets packets more often than this never detaches.
const defaultDetachAfter = time.Second

// maxDetachedJunk bounds the bytes a client may send on a detached GET's connection
// (it has a request outstanding, so it has nothing to send): beyond it the GET counts
// as aborted.
const maxDetachedJunk = 4 << 10

// A detachedGet is a polling GET that has waited longer than the server's detachAfter
// and has left net/http: its connection is hijacked and watched by a poller for the
// client closing it, and the goroutine, request and buffers of the handler are gone.
// The answer, when it comes, is a complete HTTP/1.1 response written here, followed by
// the close of the connection.
type detachedGet struct {
	w      *wsConn     // the hijacked connection (its close leaves the poller)
	header http.Header // the headers the handler would have sent (CORS, middleware)
	junk   int         // bytes the client sent meanwhile
	gone   bool        // the client left before the GET was recorded as detached; under the Conn lock
}

// detachClock wakes every waiting GET once per period by closing a shared channel, so
// that a GET knows it has waited between one and two periods without a timer of its
// own. Its goroutine starts with the first waiting GET and stops with the server.
type detachClock struct {
	cur     atomic.Pointer[chan struct{}] // closed at the next tick
	mu      sync.Mutex
	stopped bool
	stop    chan struct{}
	done    chan struct{}
}

// next returns the channel closed at the next tick, or nil once the server is closed.
func (k *detachClock) next(period time.Duration) <-chan struct{} {
	if p := k.cur.Load(); p != nil {
		return *p
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return nil
	}
	if p := k.cur.Load(); p != nil {
		return *p
	}
	ch := make(chan struct{})
	k.cur.Store(&ch)
	k.stop = make(chan struct{})
	k.done = make(chan struct{})
	go k.run(period, k.stop, k.done)
	return ch
}

func (k *detachClock) run(period time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			ch := make(chan struct{})
			old := k.cur.Swap(&ch)
			close(*old)
		case <-stop:
			return
		}
	}
}

// close stops the clock; waiting GETs keep waiting without it.
func (k *detachClock) close() {
	k.mu.Lock()
	k.stopped = true
	stop, done := k.stop, k.done
	k.stop = nil
	k.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	k.cur.Store(nil)
}

// detachGet hijacks the connection of the GET being served and hands it to a poller.
// It runs without the Conn lock, with getActive and getParked set, so that nothing
// else answers the GET meanwhile. It returns nil, the connection untouched, when the
// connection cannot leave net/http (HTTP/2, TLS, a ResponseWriter without Hijack): the
// GET keeps waiting in the handler. ok is false when the connection was hijacked but
// could not be watched (it is closed then, and the GET counts as aborted).
func (c *Conn) detachGet(w http.ResponseWriter, r *http.Request) (_ *detachedGet, ok bool) {
	if r.TLS != nil || r.ProtoMajor != 1 || !canDetach {
		return nil, false
	}
	header := w.Header().Clone()
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, false
	}
	_ = nc.SetDeadline(time.Time{})
	junk := 0
	if brw != nil {
		junk = brw.Reader.Buffered()
	}
	s := c.srv
	// The connection holds a share of the wait group until it is closed, so that
	// Close waits for every detached GET to be answered or dropped.
	s.wg.Add(1)
	dg := &detachedGet{w: newWSConn(s, nc, s.wg.Done), header: header, junk: junk}
	if junk > maxDetachedJunk || !s.watchDetached(c, dg) {
		// Too many bytes behind the request (the client has nothing to send while it
		// waits; what it does send is dropped), or no poller to notice the client
		// leaving: the GET fails.
		dg.w.close()
		return dg, false
	}
	return dg, true
}

// answerDetachedLocked answers the detached GET if the session has something for it:
// the same decisions as pollGetBody's loop, for a GET that was not late for an upgrade.
// The response is written by a goroutine of its own.
func (c *Conn) answerDetachedLocked() {
	dg := c.detached
	if dg == nil {
		return
	}
	var body []byte
	switch {
	case c.transport != TransportPolling, c.upgrading:
		body = msgNoop.appendPolling(nil)
	case c.closed:
		c.detached = nil // closingBodyLocked may finalize: nothing parked any more
		c.getParked, c.getActive = false, false
		body = c.closingBodyLocked(nil)
	case len(c.queue) > 0:
		body = c.takeQueueLocked(nil, nil)
	default:
		return
	}
	c.detached = nil
	c.getParked, c.getActive = false, false
	c.srv.wg.Add(1)
	go c.writeDetached(dg, body)
}

// writeDetached writes a polling answer as a complete HTTP/1.1 response on a detached
// GET's connection and closes it.
func (c *Conn) writeDetached(dg *detachedGet, body []byte) {
	defer c.srv.wg.Done()
	defer dg.w.close()
	var b bytes.Buffer
	b.Grow(256 + len(body))
	b.WriteString("HTTP/1.1 200 OK\r\n")
	h := dg.header
	h["Content-Type"] = hdrTextPlain
	h["Cache-Control"] = hdrNoStore
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	h["Connection"] = []string{"close"}
	h["Date"] = []string{time.Now().UTC().Format(http.TimeFormat)}
	_ = h.Write(&b)
	b.WriteString("\r\n")
	b.Write(body)
	_ = dg.w.nc.SetWriteDeadline(time.Now().Add(writeWait))
	_, _ = dg.w.nc.Write(b.Bytes())
}

// detachedReadable is the poller's call for a detached GET's connection: the client
// closed it, or sent bytes it had no reason to send. It returns readAgain while bytes
// may remain.
func (c *Conn) detachedReadable(dg *detachedGet, scratch []byte, r io.Reader) readState {
	for round := 0; round < readRounds; round++ {
		n, err := r.Read(scratch)
		if n > 0 {
			if dg.junk += n; dg.junk > maxDetachedJunk {
				c.abortDetached(dg)
				return readEnd
			}
			continue
		}
		if err == errWouldBlock {
			return readIdle
		}
		// EOF or an error: the client is gone.
		c.abortDetached(dg)
		return readEnd
	}
	return readAgain
}

// abortDetached ends a detached GET whose client left: as for a GET whose request
// context ended, the session closes.
func (c *Conn) abortDetached(dg *detachedGet) {
	c.mu.Lock()
	dg.gone = true // seen by tryDetachLocked if the poller was faster than it
	if c.detached == dg {
		c.detached = nil
		c.getParked, c.getActive = false, false
		if c.transport == TransportPolling {
			c.shutLocked(ReasonTransportClose, ErrPollAborted, closeNow, false)
		}
		if c.closed {
			c.finalizeLocked()
		}
	}
	c.mu.Unlock()
	dg.w.close()
}
