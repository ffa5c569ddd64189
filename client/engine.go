package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockgate/sockgate/internal/eiocodec"
	"github.com/sockgate/sockgate/internal/socketio"
)

// writeTimeout bounds every write (a websocket frame, a polling POST), so that a peer that
// stops reading cannot pin the writer, and Close, forever.
const writeTimeout = 10 * time.Second

// engineState is the life cycle of one Engine.IO connection.
type engineState int

const (
	engOpening engineState = iota // handshake in progress
	engOpen                       // connected
	engClosing                    // closing on the client's initiative: write the queue, then close
	engClosed                     // done
)

// outPacket is one Engine.IO packet waiting to be written: a text packet with its type
// byte, or the raw bytes of a binary message.
type outPacket struct {
	data   []byte
	binary bool
	buf    *[]byte // pooled buffer holding data, released once written; may be nil
}

// engine is one Engine.IO connection (session) of a Manager.
//
// Goroutines: run performs the handshake and then reads (the polling loop, or the
// websocket reader); writeLoop runs while packets are queued; probe upgrades a polling
// connection to websocket and then becomes the reader. Fields marked "m.mu" are guarded by
// the Manager's lock; the others are set before the goroutines that read them start.
type engine struct {
	m         *Manager
	reconnect bool // opened by a reconnection attempt
	ctx       context.Context
	cancel    context.CancelFunc // aborts dials and requests; called when the engine closes

	hs      handshake // set by run before the engine is published as open
	pollURL string    // polling endpoint with the sid, without the cache buster
	dec     socketio.Decoder

	// m.mu
	state      engineState
	transport  string
	ws         *websocket.Conn // the websocket, when transport is websocket
	probeWS    *websocket.Conn // a websocket being probed for the upgrade
	queue      []outPacket
	spare      []outPacket // the writer's previous batch, reused as the next queue
	writing    bool        // writeLoop is running
	polling    bool        // a polling GET is in flight
	pollLoopOn bool        // pollLoop is running
	paused     bool        // upgrading: polling must stop, nothing is written
	pingTimer  *time.Timer
	cond       sync.Cond // on m.mu: writing or polling became false, or the engine closed
}

func newEngine(m *Manager, reconnect bool) *engine {
	ctx, cancel := context.WithCancel(context.Background())
	e := &engine{m: m, reconnect: reconnect, ctx: ctx, cancel: cancel, transport: m.opts.Transports[0]}
	e.cond.L = &m.mu
	return e
}

// run performs the handshake, reports it to the Manager, sends the sockets' CONNECT
// packets, and reads until the connection ends.
func (e *engine) run() {
	defer e.m.wg.Done()
	ctx, cancel := context.WithTimeout(e.ctx, e.m.opts.ConnectTimeout)
	var (
		ws   *websocket.Conn
		rest []eiocodec.Packet
		err  error
	)
	if e.transport == TransportWebSocket {
		ws, err = e.openWebSocket(ctx)
	} else {
		rest, err = e.openPolling(ctx)
	}
	// A dial that ran into the deadline may return before ctx reports it.
	if deadline, _ := ctx.Deadline(); err != nil && e.ctx.Err() == nil &&
		(errors.Is(ctx.Err(), context.DeadlineExceeded) || !time.Now().Before(deadline)) {
		err = fmt.Errorf("%w: %w", ErrConnectTimeout, err)
	}
	cancel()

	m := e.m
	m.mu.Lock()
	if err != nil || e.state != engOpening {
		if ws != nil {
			_ = ws.Close()
		}
		if err == nil {
			err = ErrClosed
		}
		e.failLocked(err)
		m.mu.Unlock()
		return
	}
	e.ws = ws
	e.state = engOpen
	e.pingTimer = time.AfterFunc(e.hs.pingInterval+e.hs.pingTimeout, e.onPingTimeout)
	var socks []*Socket
	if m.eng == e {
		socks = m.openedLocked(e)
	}
	upgrade := e.transport == TransportPolling && !m.opts.DisableUpgrade &&
		m.opts.allows(TransportWebSocket) && e.hs.offersWebSocket()
	if upgrade {
		m.wg.Add(1)
		go e.probe()
	}
	m.mu.Unlock()

	for _, s := range socks {
		s.sendConnect(e)
	}
	for _, p := range rest {
		if e.handle(p) {
			return
		}
	}
	if ws != nil {
		// A fresh goroutine reads: the handshake grew this one's stack, and an idle
		// connection would keep that stack for as long as it lives.
		m.mu.Lock()
		if e.state == engOpen || e.state == engClosing {
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				e.readWebSocket(ws)
			}()
		}
		m.mu.Unlock()
		return
	}
	m.mu.Lock()
	e.pollLoopOn = true
	m.mu.Unlock()
	e.pollLoop()
}

// failLocked ends an engine whose handshake did not complete.
func (e *engine) failLocked(err error) {
	if e.state == engClosed {
		return
	}
	e.state = engClosed
	e.cancel()
	e.cond.Broadcast()
	if e.m.eng == e {
		e.m.openFailedLocked(e, err)
	}
}

// closeLocked ends the connection for reason and tells the Manager, if the engine is still
// its current one.
func (e *engine) closeLocked(reason string, err error) {
	if e.state == engClosed {
		return
	}
	if e.state == engOpening {
		if err == nil {
			err = errors.New(reason)
		}
		e.failLocked(err)
		return
	}
	e.state = engClosed
	if e.pingTimer != nil {
		e.pingTimer.Stop()
	}
	e.cancel()
	if e.ws != nil {
		if reason == ReasonForcedClose {
			// A polite close frame; WriteControl may run concurrently with the writer.
			_ = e.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		}
		_ = e.ws.Close()
	}
	if e.probeWS != nil {
		_ = e.probeWS.Close()
	}
	for i := range e.queue {
		putBuf(e.queue[i].buf)
	}
	clear(e.queue)
	e.queue = e.queue[:0]
	e.cond.Broadcast()
	if e.transport == TransportPolling && e.m.ownHTTP != nil {
		// Kept-alive connections may have died with this one (a network failure, a
		// server restart); the next connection starts afresh rather than fail on them.
		e.m.ownHTTP.CloseIdleConnections()
	}
	if e.m.eng == e {
		e.m.closedLocked(reason, err)
	}
}

// close is closeLocked for callers that do not hold the lock.
func (e *engine) close(reason string, err error) {
	e.m.mu.Lock()
	e.closeLocked(reason, err)
	e.m.mu.Unlock()
}

// shutdownLocked closes the connection on the client's initiative, after the queued
// packets (and, on polling, a close packet) are written. The Manager has detached it.
func (e *engine) shutdownLocked() {
	switch {
	case e.state == engOpening || e.paused:
		e.closeLocked(ReasonForcedClose, nil)
	case e.state == engOpen:
		e.state = engClosing
		if e.transport == TransportPolling {
			e.queue = append(e.queue, outPacket{data: closePacket})
		}
		if !e.writing && len(e.queue) == 0 {
			e.closeLocked(ReasonForcedClose, nil)
			return
		}
		e.kickLocked()
	}
}

// Fixed packets.
var (
	closePacket   = []byte{eiocodec.PacketClose}
	pongPacket    = []byte{eiocodec.PacketPong}
	upgradePacket = []byte{eiocodec.PacketUpgrade}
	probePing     = []byte("2probe")
	probePong     = []byte("3probe")
)

// writableLocked reports whether a packet pushed now would be written without waiting
// behind others, the JavaScript client's "transport writable" that decides whether a
// volatile packet is dropped.
func (e *engine) writableLocked() bool {
	return e.state == engOpen && !e.paused && len(e.queue) == 0
}

// pushLocked queues packets as one unit, so that a Socket.IO packet and its attachments
// stay together. It fails when the queue would exceed Options.WriteQueueSize.
func (e *engine) pushLocked(pkts ...outPacket) error {
	if e.state != engOpen {
		return ErrNotConnected
	}
	if len(e.queue)+len(pkts) > e.m.opts.WriteQueueSize {
		return ErrWriteQueueFull
	}
	e.queue = append(e.queue, pkts...)
	e.kickLocked()
	return nil
}

// kickLocked starts the writer when there is something to write and nothing stops it.
func (e *engine) kickLocked() {
	if e.writing || len(e.queue) == 0 || e.paused || e.state == engClosed || e.state == engOpening {
		return
	}
	e.writing = true
	e.m.wg.Add(1)
	go e.writeLoop()
}

// writeLoop writes the queue in batches until it is empty: a websocket frame per packet,
// or one POST per batch on polling.
func (e *engine) writeLoop() {
	m := e.m
	defer m.wg.Done()
	m.mu.Lock()
	for {
		if e.state == engClosed || len(e.queue) == 0 || e.paused {
			e.writing = false
			e.cond.Broadcast()
			if e.state == engClosing && len(e.queue) == 0 {
				e.closeLocked(ReasonForcedClose, nil)
			}
			m.mu.Unlock()
			return
		}
		batch := e.queue
		if e.transport == TransportPolling {
			if n := e.batchLen(batch); n < len(batch) {
				e.queue = append(e.spare[:0], batch[n:]...)
				batch = batch[:n]
			} else {
				e.queue = e.spare[:0]
			}
		} else {
			e.queue = e.spare[:0]
		}
		e.spare = nil
		ws := e.ws
		transport := e.transport
		m.mu.Unlock()

		var err error
		if transport == TransportWebSocket {
			err = writeWebSocket(ws, batch)
		} else {
			err = e.post(batch)
		}
		for i := range batch {
			putBuf(batch[i].buf)
		}
		// Clear the whole array, so that the spare queue pins no written packet.
		clear(batch[:cap(batch)])

		m.mu.Lock()
		if e.spare == nil {
			e.spare = batch[:0]
		}
		if err != nil {
			e.writing = false
			e.cond.Broadcast()
			e.closeLocked(ReasonTransportError, err)
			m.mu.Unlock()
			return
		}
	}
}

// batchLen returns how many packets of q fit in one POST of at most maxPayload bytes (at
// least one), counting as the JavaScript client does.
func (e *engine) batchLen(q []outPacket) int {
	limit := e.hs.maxPayload
	if limit <= 0 || len(q) < 2 {
		return len(q)
	}
	size := int64(1)
	for i, p := range q {
		size += int64(len(p.data))
		if i > 0 && size > limit {
			return i
		}
		size += 2
	}
	return len(q)
}

// onPingTimeout runs when no ping came within pingInterval + pingTimeout.
func (e *engine) onPingTimeout() {
	e.close(ReasonPingTimeout, nil)
}

// handle processes one packet from the server; it reports whether reading must stop.
func (e *engine) handle(p eiocodec.Packet) (stop bool) {
	m := e.m
	switch p.Type {
	case eiocodec.PacketPing:
		m.mu.Lock()
		if e.state != engOpen && e.state != engClosing {
			m.mu.Unlock()
			return true
		}
		// The pong is not subject to the queue bound: dropping it would drop the connection.
		e.queue = append(e.queue, outPacket{data: pongPacket})
		e.kickLocked()
		e.pingTimer.Reset(e.hs.pingInterval + e.hs.pingTimeout)
		current := m.eng == e
		m.mu.Unlock()
		if current {
			m.emit(ManagerEvent{Name: EventPing})
		}
	case eiocodec.PacketClose:
		e.close(ReasonTransportClose, errors.New("closed by the server"))
		return true
	case eiocodec.PacketMessage:
		pkt, err := e.dec.Add(p.Data, p.Binary)
		if err != nil {
			e.close(ReasonParseError, err)
			return true
		}
		if pkt != nil {
			m.onPacket(e, pkt)
		}
	}
	// Open, pong, upgrade and noop packets mean nothing to an open client connection.
	return false
}

// writeBuffers pools the buffers that encode outgoing packets; a buffer is released once
// its packet is written.
var writeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// maxPooledBuf is the largest buffer put back into writeBuffers.
const maxPooledBuf = 64 << 10

func getBuf() *[]byte { return writeBuffers.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if b == nil || cap(*b) > maxPooledBuf {
		return
	}
	*b = (*b)[:0]
	writeBuffers.Put(b)
}
