package engineio

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sockgate/sockgate/internal/eiocodec"
)

// bodyPool holds polling response buffers between requests.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxPooledBody is the largest buffer put back into bodyPool.
const maxPooledBody = 64 << 10

// errStopPayload ends a payload after a close packet.
var errStopPayload = errors.New("engineio: stop")

// pollGet serves a polling GET: it answers at once with everything queued,
// or parks until something is queued, the session closes, an upgrade starts,
// or the client goes away.
func (c *Conn) pollGet(w http.ResponseWriter, r *http.Request) {
	bp := bodyPool.Get().(*[]byte)
	body, status, code := c.pollGetBody(w, r, (*bp)[:0])
	if status == http.StatusOK {
		h := w.Header()
		h["Content-Type"] = hdrTextPlain
		h["Cache-Control"] = hdrNoStore
		// net/http sets Content-Length itself for small bodies written in one go.
		_, _ = w.Write(body)
	} else if status != 0 {
		writeError(w, status, code)
	}
	if cap(body) <= maxPooledBody {
		*bp = body[:0]
		bodyPool.Put(bp)
	}
}

// pollGetBody decides the answer of a GET; status 0 means no answer (the
// client is gone, or the GET was detached and is answered later, detach.go).
func (c *Conn) pollGetBody(w http.ResponseWriter, r *http.Request, body []byte) (_ []byte, status, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.transport != TransportPolling {
		return body, http.StatusBadRequest, CodeBadRequest
	}
	c.checkPingLocked(time.Now())
	if c.closed {
		if c.linger && !c.getActive {
			return c.closingBodyLocked(body), http.StatusOK, 0
		}
		return body, http.StatusBadRequest, CodeUnknownSID
	}
	if c.getActive {
		c.shutLocked(ReasonTransportError, fmt.Errorf("%w: overlapping polling GET", ErrProtocol), closeNow, false)
		return body, http.StatusBadRequest, CodeBadRequest
	}
	c.getActive = true
	defer func() {
		if c.detached == nil { // a detached GET stays the session's GET until answered
			c.getActive = false
		}
	}()
	done := r.Context().Done()
	// A GET that arrives during an upgrade may have been sent after the
	// client's "5" and overtaken it: it waits a moment for the switch, and
	// then counts as a polling request after the upgrade.
	lateForUpgrade := c.upgrading
	var grace <-chan time.Time
	graceOver := false
	// A GET that keeps waiting is detached from net/http after one to two ticks of the
	// server's detach clock (never one late for an upgrade, which waits briefly).
	canDetach := canDetach && c.srv.detachAfter > 0 && !lateForUpgrade
	ticks := 0
	for {
		switch {
		case c.transport != TransportPolling:
			// The queue and the close belong to the websocket now.
			if lateForUpgrade {
				return body, http.StatusBadRequest, CodeBadRequest
			}
			// The upgrade completed while this GET was parked.
			return msgNoop.appendPolling(body), http.StatusOK, 0
		case c.closed:
			return c.closingBodyLocked(body), http.StatusOK, 0
		case len(c.queue) > 0:
			return c.takeQueueLocked(body, nil), http.StatusOK, 0
		case c.upgrading:
			// Every GET seen during an upgrade is released, not only the first.
			if !lateForUpgrade || graceOver {
				return msgNoop.appendPolling(body), http.StatusOK, 0
			}
			if grace == nil {
				t := time.NewTimer(c.srv.upgradeGrace)
				defer t.Stop()
				grace = t.C
			}
		}
		if c.wake == nil {
			c.wake = make(chan struct{}, 1)
		}
		c.getParked = true
		if canDetach && ticks >= 2 && grace == nil {
			canDetach = false
			if status, ok := c.tryDetachLocked(w, r); ok {
				return body, status, 0
			}
			continue
		}
		if h := c.srv.testHooks.parked; h != nil {
			h(c)
		}
		wake := c.wake
		var tick <-chan struct{}
		if canDetach {
			tick = c.srv.clock.next(c.srv.detachAfter)
		}
		c.mu.Unlock()
		select {
		case <-wake:
		case <-done:
		case <-grace:
			graceOver = true
		case <-tick:
			ticks++
		}
		c.mu.Lock()
		c.getParked = false
		if r.Context().Err() != nil {
			if c.transport == TransportPolling {
				c.shutLocked(ReasonTransportClose, ErrPollAborted, closeNow, false)
			}
			if c.closed {
				c.finalizeLocked()
			}
			return body, 0, 0
		}
	}
}

// tryDetachLocked detaches the parked GET (detach.go), unlocking meanwhile. ok reports
// that the GET no longer belongs to the handler: status 0, the handler writes nothing.
// When the connection cannot be detached the GET goes on waiting (ok false, getParked
// cleared as after a wake).
func (c *Conn) tryDetachLocked(w http.ResponseWriter, r *http.Request) (status int, ok bool) {
	c.mu.Unlock()
	dg, watched := c.detachGet(w, r)
	c.mu.Lock()
	if dg == nil {
		c.getParked = false
		return 0, false
	}
	if !watched || dg.gone {
		// Hijacked and dropped, or the client left already: the same as a client
		// that went away.
		c.getParked = false
		c.getActive = false
		if c.transport == TransportPolling {
			c.shutLocked(ReasonTransportClose, ErrPollAborted, closeNow, false)
		}
		if c.closed {
			c.finalizeLocked()
		}
		return 0, true
	}
	// getActive and getParked stay set: the detached GET is the session's GET until
	// answered. Whatever happened while unlocked is answered now.
	c.detached = dg
	if h := c.srv.testHooks.detached; h != nil {
		h(c)
	}
	c.answerDetachedLocked()
	return 0, true
}

// closingBodyLocked answers a GET of a closed polling session. A close that flushes sends
// what was queued first and the close packet on the following GET, as the Node server
// does: socket.io-client acts on a close packet before the messages that precede it in
// the same payload, so a DISCONNECT sent just before the close would be seen too late.
// The session lingers (bounded by PingTimeout) for that last GET.
func (c *Conn) closingBodyLocked(body []byte) []byte {
	if c.flushOnClose && len(c.queue) > 0 {
		body = c.takeQueueLocked(body, nil)
		c.lingerLocked()
		return body
	}
	tail := c.pollTail
	if tail == nil {
		tail = msgClose
	}
	c.queue = nil
	c.replies = 0
	body = tail.appendPolling(body)
	c.finalizeLocked()
	return body
}

// pollPost serves a polling POST: it decodes the payload and delivers its
// packets in order, then answers "ok".
func (c *Conn) pollPost(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	if c.transport != TransportPolling {
		c.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeBadRequest)
		return
	}
	c.checkPingLocked(time.Now())
	if c.closed {
		c.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeUnknownSID)
		return
	}
	if isOctetStream(r.Header.Get("Content-Type")) {
		// EIO3 binary payloads; v4 bodies are always text.
		c.shutLocked(ReasonTransportError, fmt.Errorf("%w: binary POST body", ErrProtocol), closeNow, false)
		c.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeBadRequest)
		return
	}
	if c.postActive {
		c.shutLocked(ReasonTransportError, fmt.Errorf("%w: overlapping polling POST", ErrProtocol), closeNow, false)
		c.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeBadRequest)
		return
	}
	c.postActive = true
	c.startPostLocked(w)
	c.mu.Unlock()

	body, err := c.readBody(r)

	// The read is over before anything can end the session because of the body (a
	// refused payload, a close packet, the layer above closing the session from
	// OnMessage): from here on the session's end leaves the connection alone.
	c.mu.Lock()
	if h := c.srv.testHooks.postRead; h != nil {
		h(c)
	}
	closeConn := c.endPostLocked(err)
	c.mu.Unlock()
	if closeConn {
		w.Header()["Connection"] = hdrClose
	}

	status, code := c.handlePost(body, err)

	c.mu.Lock()
	c.postActive = false
	c.mu.Unlock()
	if status != http.StatusOK {
		writeError(w, status, code)
		return
	}
	h := w.Header()
	h["Content-Type"] = hdrHTML
	h["Content-Length"] = hdrLen2
	_, _ = w.Write(bodyOK)
}

// handlePost decodes and delivers a POST body, or handles the error of its read. It
// closes the session on any failure and returns the HTTP status to answer.
func (c *Conn) handlePost(body []byte, err error) (status, code int) {
	if err != nil {
		if errors.Is(err, ErrPayloadTooLarge) {
			c.shut(ReasonTransportError, err, closeNow, false)
			return http.StatusRequestEntityTooLarge, CodeBadRequest
		}
		if errors.Is(err, ErrServerBusy) {
			c.shut(ReasonTransportError, err, closeNow, false)
			return http.StatusServiceUnavailable, CodeBadRequest
		}
		// A client still there (its body stalled past PostReadTimeout, or its session
		// ended meanwhile) learns that its packets were dropped; an empty 200 would tell
		// it they were delivered. To a client that left, the answer goes nowhere.
		c.shut(ReasonTransportClose, fmt.Errorf("%w: %w", ErrPollAborted, err), closeNow, false)
		return http.StatusBadRequest, CodeBadRequest
	}
	if !utf8.Valid(body) {
		// Checked before any packet is delivered: the text would otherwise be relayed
		// to websocket clients, which must refuse it.
		c.shut(ReasonParseError, fmt.Errorf("%w: polling payload", ErrInvalidUTF8), closeNow, false)
		return http.StatusBadRequest, CodeBadRequest
	}
	err = eiocodec.DecodePayload(body, func(p eiocodec.Packet) error {
		switch p.Type {
		case eiocodec.PacketMessage:
			c.deliver(p.Data, p.Binary)
		case eiocodec.PacketPong:
			c.onPong()
		case eiocodec.PacketClose:
			c.shut(ReasonTransportClose, nil, closeByClient, true)
			return errStopPayload
		case eiocodec.PacketPing:
			return fmt.Errorf("%w: ping from the client", ErrProtocol)
		}
		// open, upgrade and noop from a client mean nothing on polling.
		return nil
	})
	switch {
	case err == nil, errors.Is(err, errStopPayload):
		return http.StatusOK, 0
	case errors.Is(err, ErrProtocol):
		c.shut(ReasonTransportError, err, closeNow, false)
	default:
		c.shut(ReasonParseError, err, closeNow, false)
	}
	return http.StatusBadRequest, CodeBadRequest
}

// shut is shutLocked for callers that do not hold the lock.
func (c *Conn) shut(reason string, err error, mode closeMode, linger bool) {
	c.mu.Lock()
	c.shutLocked(reason, err, mode, linger)
	c.mu.Unlock()
}

func isOctetStream(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/octet-stream")
}
