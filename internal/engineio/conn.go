package engineio

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockgate/sockgate/internal/eiocodec"
)

// volatileBacklog is the queue length from which SendVolatile drops.
const volatileBacklog = 16

// maxKeptQueue is the largest queue capacity kept for reuse once drained, so
// that a burst does not pin a big array on an idle session.
const maxKeptQueue = 64

// closeMode says what happens to the queue and to a polling GET when a
// session closes.
type closeMode uint8

const (
	closeNow      closeMode = iota // drop the queue; a parked GET gets "1"
	closeFlush                     // deliver the queue first, then "1" (polling) or a close frame
	closeByClient                  // the client sent "1": a parked or next GET gets "6"
	closeFrame                     // websocket: drop the queue, then a close frame with wsClose
)

// Heartbeat phases; the session timer means something different in each.
const (
	hbInterval uint8 = iota // waiting to send the next ping
	hbPong                  // ping sent, waiting for the pong
	hbLinger                // closed polling session waiting for its last GET
)

// A Conn is one Engine.IO session. Its methods are safe for concurrent use.
type Conn struct {
	srv *Server
	id  string
	req *Request

	userCtx atomic.Pointer[ctxBox]

	// closedFlag mirrors closed for the lock-free check before a delivery.
	closedFlag atomic.Bool

	// dispatchMu serializes OnMessage calls with each other and with the
	// start of OnClose, whatever goroutine (POST, websocket reader) they
	// come from.
	dispatchMu   sync.Mutex
	dispatchDone bool // OnClose has started: no more OnMessage

	b64 bool // the client wants binary as base64 text on websocket; set before the session is shared

	mu sync.Mutex // guards everything below

	// The fields below are ordered so that the small ones share words (every session
	// holds a Conn; TestConnSize keeps it within its allocation size class); the comment
	// of each says which part of the session it belongs to.

	transport string
	queue     []*Message // packets waiting for the transport
	replies   int        // how many of them were queued by SendReply (bounded apart)
	spare     []*Message // a drained queue array kept for reuse by the writer

	// closing
	reason       string
	closeErr     error
	closed       bool
	finalized    bool // left the server's table
	flushOnClose bool // the queue is still delivered after close

	// polling
	getActive  bool
	getParked  bool
	postActive bool
	linger     bool                     // closed, waiting for a last GET to receive pollTail
	postRC     *http.ResponseController // the POST whose body is being read, to abandon it when the session ends
	wake       chan struct{}            // wakes the parked GET; made on first park
	detached   *detachedGet             // the parked GET has left net/http (detach.go)
	pollTail   *Message                 // "1" or "6", the last packet of a closed polling session

	// websocket
	ws *wsConn

	// upgrade
	probe *wsConn // probing websocket, during an upgrade

	writerRunning bool   // websocket: a goroutine holds the writer role: the writer goroutine, or a sender writing inline
	upgrading     bool   // upgrade: "2probe" answered: every GET is released at once
	pending       bool   // limits: the session has yet to join a namespace (Joined)
	hbPhase       uint8  // heartbeat: the phase the timer is armed for
	wsClose       uint16 // websocket: the code of the close frame after closeFrame (protocol errors, client close)

	// limits: the address the session counts under; joinTimer closes the session if it
	// does not join a namespace in time (pending)
	addr      string
	joinTimer *time.Timer

	// heartbeat: one timer, re-armed per phase (hbPhase); hbAt is when the phase ends
	timer *time.Timer
	hbAt  time.Time
}

type ctxBox struct{ v any }

// ID returns the session id: 20 URL-safe base64 characters from crypto/rand.
func (c *Conn) ID() string { return c.id }

// Request returns the handshake request data.
func (c *Conn) Request() *Request { return c.req }

// Transport returns the current transport, "polling" or "websocket".
func (c *Conn) Transport() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transport
}

// Context returns the value stored by SetContext, or nil.
func (c *Conn) Context() any {
	if b := c.userCtx.Load(); b != nil {
		return b.v
	}
	return nil
}

// SetContext stores one value for the layer above.
func (c *Conn) SetContext(v any) { c.userCtx.Store(&ctxBox{v}) }

// Send queues a group of messages atomically: no other packet goes between
// them (a Socket.IO header and its binary attachments). It never blocks. It
// returns ErrClosed if the session is closed. If the queue would exceed
// Config.WriteQueueSize, the session is closed with ReasonTransportError and
// ErrQueueFull, and ErrQueueFull is returned.
func (c *Conn) Send(msgs ...*Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if c.transport == TransportWebSocket && !c.writerRunning && len(c.queue) == 0 {
		c.writeInline(msgs)
		return nil
	}
	return c.pushLocked(msgs...)
}

// SendVolatile is Send that drops the group (and returns false) when the
// session is not writable right now: closed, upgrading, or with a backlog.
func (c *Conn) SendVolatile(msgs ...*Message) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.probe != nil || len(c.queue) >= volatileBacklog ||
		len(c.queue)+len(msgs) > c.srv.cfg.WriteQueueSize {
		return false
	}
	if c.transport == TransportWebSocket && !c.writerRunning && len(c.queue) == 0 {
		c.writeInline(msgs)
		return true
	}
	c.queue = append(c.queue, msgs...)
	c.kickLocked()
	return true
}

// Close ends the session from the server side after flushing what is
// already queued: on websocket the queued frames then a close frame; on
// polling the queued packets then "1" on the parked or next GET (given up
// after PingTimeout). OnClose gets ReasonForcedClose. Close is idempotent,
// does not block, and may be called from inside OnMessage.
func (c *Conn) Close() {
	c.mu.Lock()
	c.shutLocked(ReasonForcedClose, nil, closeFlush, true)
	c.mu.Unlock()
}

// SendReply is Send for answers to the client's own packets (acknowledgements, error
// reports): they are bounded apart from the rest of the queue, by WriteQueueSize too, so
// that answering a burst of requests never makes the session a slow consumer. A reply
// beyond that bound is dropped with ErrQueueFull, and the session stays.
func (c *Conn) SendReply(msgs ...*Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if c.transport == TransportWebSocket && !c.writerRunning && len(c.queue) == 0 {
		c.writeInline(msgs)
		return nil
	}
	if c.replies+len(msgs) > c.srv.cfg.WriteQueueSize {
		return ErrQueueFull
	}
	c.queue = append(c.queue, msgs...)
	c.replies += len(msgs)
	c.kickLocked()
	return nil
}

// pushLocked appends to the queue and gets the transport going.
func (c *Conn) pushLocked(msgs ...*Message) error {
	if len(c.queue)-c.replies+len(msgs) > c.srv.cfg.WriteQueueSize {
		c.shutLocked(ReasonTransportError, ErrQueueFull, closeNow, false)
		return ErrQueueFull
	}
	c.queue = append(c.queue, msgs...)
	c.kickLocked()
	return nil
}

// kickLocked makes the current transport deliver the queue: it starts the
// websocket writer if none runs, or wakes the parked GET.
func (c *Conn) kickLocked() {
	if c.transport == TransportWebSocket {
		if !c.writerRunning {
			c.writerRunning = true
			c.srv.wg.Add(1)
			go c.writeLoop(c.ws)
		}
		return
	}
	if c.getParked {
		c.wakeGetLocked()
	}
}

func (c *Conn) wakeGetLocked() {
	if c.detached != nil {
		c.answerDetachedLocked()
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// shutLocked closes the session once: it stops deliveries, starts the
// OnClose call, tears the transport down according to mode, and removes the
// session from the table unless a polling GET still has to be answered.
// linger lets a polling session without a parked GET wait (bounded) for its
// next GET to hand it the queue and the final packet.
func (c *Conn) shutLocked(reason string, err error, mode closeMode, linger bool) {
	if c.closed {
		return
	}
	c.closed = true
	c.closedFlag.Store(true)
	c.reason, c.closeErr = reason, err
	c.abandonPostLocked()
	c.releaseLimitsLocked()
	c.srv.wg.Add(1)
	go c.notifyClose()
	if c.probe != nil {
		c.probe.close() // its reader sees the error and ends
		c.probe = nil
		c.upgrading = false
	}
	if c.transport == TransportWebSocket {
		c.timer.Stop()
		if mode == closeFlush || mode == closeFrame {
			if mode == closeFrame {
				c.queue = nil
				c.replies = 0
			}
			c.flushOnClose = true
			if !c.writerRunning {
				c.writerRunning = true
				c.srv.wg.Add(1)
				go c.writeLoop(c.ws)
			}
		} else {
			c.queue = nil
			c.replies = 0
			c.ws.close()
		}
		c.finalizeLocked()
		return
	}
	switch mode {
	case closeFlush:
		c.flushOnClose = true
		c.pollTail = msgClose
	case closeByClient:
		c.queue = nil
		c.replies = 0
		c.pollTail = msgNoop
	default:
		c.queue = nil
		c.replies = 0
		c.pollTail = msgClose
	}
	if c.getParked {
		// The parked GET answers with the tail and finalizes.
		c.timer.Stop()
		c.wakeGetLocked()
		return
	}
	if linger {
		c.lingerLocked()
		return
	}
	c.timer.Stop()
	c.finalizeLocked()
}

// lingerLocked keeps a closed polling session in the table until its next GET takes the
// last packets, or PingTimeout passes.
func (c *Conn) lingerLocked() {
	if c.linger {
		return
	}
	c.linger = true
	c.hbPhase = hbLinger
	d := c.srv.cfg.PingTimeout
	c.hbAt = time.Now().Add(d)
	c.timer.Reset(d)
}

// finalizeLocked removes a closed session from the table, once.
func (c *Conn) finalizeLocked() {
	if c.finalized {
		return
	}
	c.finalized = true
	c.linger = false
	c.timer.Stop()
	c.srv.remove(c)
	if h := c.srv.testHooks.finalized; h != nil {
		h(c)
	}
	c.srv.wg.Done()
}

// notifyClose calls OnClose once every OnMessage in progress has returned.
func (c *Conn) notifyClose() {
	defer c.srv.wg.Done()
	c.dispatchMu.Lock()
	c.dispatchDone = true
	c.dispatchMu.Unlock()
	// reason and closeErr are written before this goroutine starts and
	// never again.
	c.srv.handler.OnClose(c, c.reason, c.closeErr)
}

// deliver hands one message to the handler, unless the session is closed.
func (c *Conn) deliver(data []byte, binary bool) {
	c.dispatchMu.Lock()
	defer c.dispatchMu.Unlock()
	if c.dispatchDone || c.closedFlag.Load() {
		return
	}
	c.srv.handler.OnMessage(c, data, binary)
}

// onTimer runs the heartbeat and the linger bound. A callback made stale by
// a later Reset finds hbAt in the future and does nothing.
func (c *Conn) onTimer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finalized {
		return
	}
	now := time.Now()
	if now.Before(c.hbAt) {
		return
	}
	switch c.hbPhase {
	case hbInterval:
		if c.closed {
			return
		}
		if c.pushLocked(msgPing) != nil {
			return
		}
		c.hbPhase = hbPong
		// The pong deadline counts from the scheduled ping time, so a late
		// timer does not extend the session's life.
		c.hbAt = c.hbAt.Add(c.srv.cfg.PingTimeout)
		c.timer.Reset(max(c.hbAt.Sub(now), 0))
	case hbPong:
		c.shutLocked(ReasonPingTimeout, nil, closeNow, false)
	case hbLinger:
		c.finalizeLocked()
	}
}

// checkPingLocked closes the session if the pong is overdue, without waiting
// for the timer goroutine: a request that arrives after the deadline must
// find the session gone.
func (c *Conn) checkPingLocked(now time.Time) {
	if !c.closed && c.hbPhase == hbPong && !now.Before(c.hbAt) {
		c.shutLocked(ReasonPingTimeout, nil, closeNow, false)
	}
}

// onPong re-arms the ping interval from the moment the pong arrived.
func (c *Conn) onPong() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	c.checkPingLocked(now)
	if c.closed || c.hbPhase != hbPong {
		return
	}
	c.hbPhase = hbInterval
	c.hbAt = now.Add(c.srv.cfg.PingInterval)
	c.timer.Reset(c.srv.cfg.PingInterval)
}

// takeQueueLocked empties the queue into a polling payload appended to dst,
// followed by tail if not nil.
func (c *Conn) takeQueueLocked(dst []byte, tail *Message) []byte {
	n := 0
	for _, m := range c.queue {
		n += m.pollingLen() + 1
	}
	if tail != nil {
		n += tail.pollingLen()
	}
	dst = growBytes(dst, n)
	for i, m := range c.queue {
		if i > 0 {
			dst = append(dst, eiocodec.RecordSeparator)
		}
		dst = m.appendPolling(dst)
	}
	if tail != nil {
		if len(c.queue) > 0 {
			dst = append(dst, eiocodec.RecordSeparator)
		}
		dst = tail.appendPolling(dst)
	}
	clear(c.queue)
	if cap(c.queue) > maxKeptQueue {
		c.queue = nil
		c.replies = 0
	} else {
		c.queue = c.queue[:0]
		c.replies = 0
	}
	return dst
}

func growBytes(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}
