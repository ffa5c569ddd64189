package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockgate/sockgate/internal/eiocodec"
)

// wsWriteBuffers is the write buffer pool of the default dialer: a connection holds a
// write buffer only while it writes, so an idle client costs its read buffer only.
var wsWriteBuffers websocket.BufferPool = &syncBufferPool{}

type syncBufferPool struct{ p sync.Pool }

func (s *syncBufferPool) Get() any  { return s.p.Get() }
func (s *syncBufferPool) Put(v any) { s.p.Put(v) }

func newDialer(jar http.CookieJar) *websocket.Dialer {
	return &websocket.Dialer{
		Proxy: http.ProxyFromEnvironment,
		// No HandshakeTimeout: every dial has a context bounded by ConnectTimeout.
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: wsWriteBuffers,
		Jar:             jar,
	}
}

// wsURL returns the websocket endpoint, with the sid when upgrading.
func (e *engine) wsURL(sid string) string {
	u := e.m.wsBase + "&transport=websocket"
	if sid != "" {
		u += "&sid=" + sid
	}
	return u
}

// dialWebSocket opens a websocket to u, bounded by ctx.
func (e *engine) dialWebSocket(ctx context.Context, u string) (*websocket.Conn, error) {
	ws, resp, err := e.m.dialer.DialContext(ctx, u, e.m.opts.Header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("websocket handshake: %s: %w", resp.Status, err)
		}
		return nil, fmt.Errorf("websocket handshake: %w", err)
	}
	ws.SetReadLimit(e.m.opts.MaxPayload)
	return ws, nil
}

// openWebSocket performs the handshake on a new websocket: the server's first frame is
// the open packet.
func (e *engine) openWebSocket(ctx context.Context) (*websocket.Conn, error) {
	ws, err := e.dialWebSocket(ctx, e.wsURL(""))
	if err != nil {
		return nil, err
	}
	// The open packet must come within the connect timeout; closing the socket when ctx
	// ends covers a Close during the wait too.
	stop := context.AfterFunc(ctx, func() { _ = ws.SetReadDeadline(time.Now()) })
	typ, data, err := ws.ReadMessage()
	if !stop() {
		err = errors.Join(err, ctx.Err())
	}
	if err == nil {
		err = ws.SetReadDeadline(time.Time{})
	}
	if err == nil {
		err = e.readOpen(typ, data)
	}
	if err != nil {
		_ = ws.Close()
		return nil, err
	}
	return ws, nil
}

// readOpen checks that a websocket frame is the open packet and records it.
func (e *engine) readOpen(typ int, data []byte) error {
	if typ != websocket.TextMessage || len(data) == 0 || data[0] != eiocodec.PacketOpen {
		return fmt.Errorf("%w: the first packet is not an open packet", ErrProtocol)
	}
	hs, err := parseOpen(data[1:])
	if err != nil {
		return err
	}
	e.hs = hs
	return nil
}

// readWebSocket reads until the connection ends.
func (e *engine) readWebSocket(ws *websocket.Conn) {
	for {
		typ, data, err := ws.ReadMessage()
		if err != nil {
			e.m.mu.Lock()
			if e.ws == ws {
				e.closeLocked(readReason(err), err)
			} else if e.probeWS == ws {
				// The probe died before the switch: the upgrade is off, polling goes on.
				e.probeWS = nil
				e.cond.Broadcast()
			}
			e.m.mu.Unlock()
			return
		}
		var p eiocodec.Packet
		if typ == websocket.BinaryMessage {
			p = eiocodec.Packet{Type: eiocodec.PacketMessage, Data: data, Binary: true}
		} else if p, err = eiocodec.DecodePacket(data); err != nil {
			e.close(ReasonParseError, err)
			return
		}
		if e.handle(p) {
			return
		}
		e.m.disp.throttle()
	}
}

// readReason maps a read error to the JavaScript client's reason: the connection was
// closed (by the server or the network) or something else failed.
func readReason(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return ReasonTransportClose
	}
	return ReasonTransportError
}

// writeWebSocket writes each packet as one frame.
func writeWebSocket(ws *websocket.Conn, batch []outPacket) error {
	if err := ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	for _, p := range batch {
		typ := websocket.TextMessage
		if p.binary {
			typ = websocket.BinaryMessage
		}
		if err := ws.WriteMessage(typ, p.data); err != nil {
			return err
		}
	}
	return nil
}

// probe upgrades a polling connection: it opens a websocket with the session id, checks it
// with 2probe/3probe, pauses polling (waiting for the GET and the POST in flight), sends 5,
// and moves the connection and its queue to the websocket, which it then reads. A failed
// probe leaves the connection on polling.
func (e *engine) probe() {
	m := e.m
	defer m.wg.Done()
	ctx, cancel := context.WithTimeout(e.ctx, m.opts.ConnectTimeout)
	defer cancel()
	ws, err := e.dialWebSocket(ctx, e.wsURL(e.hs.sid))
	if err != nil {
		m.logger.Debug("client: websocket upgrade failed", "err", err)
		return
	}
	m.mu.Lock()
	if e.state != engOpen {
		m.mu.Unlock()
		_ = ws.Close()
		return
	}
	e.probeWS = ws
	m.mu.Unlock()

	if err := e.checkProbe(ctx, ws); err != nil {
		m.logger.Debug("client: websocket upgrade failed", "err", err)
		m.mu.Lock()
		if e.probeWS == ws {
			e.probeWS = nil
		}
		m.mu.Unlock()
		_ = ws.Close()
		return
	}

	m.mu.Lock()
	if e.state != engOpen || e.probeWS != ws {
		m.mu.Unlock()
		_ = ws.Close()
		return
	}
	e.paused = true
	m.wg.Add(1)
	go e.finishUpgrade(ws)
	m.mu.Unlock()
	// Reading starts now, so that a probe the server drops while polling pauses is
	// noticed at once (see readWebSocket).
	e.readWebSocket(ws)
}

// finishUpgrade waits until polling has paused (its GET and POST in flight are done),
// then moves the connection to ws, "5" first. The upgrade is abandoned, and polling
// resumes, when the probe closes meanwhile or polling does not pause within the connect
// timeout (the server stopped answering the GET with a noop).
func (e *engine) finishUpgrade(ws *websocket.Conn) {
	m := e.m
	defer m.wg.Done()
	m.mu.Lock()
	expired := false
	bound := time.AfterFunc(m.opts.ConnectTimeout, func() {
		m.mu.Lock()
		expired = true
		e.cond.Broadcast()
		m.mu.Unlock()
	})
	for e.state == engOpen && e.probeWS == ws && (e.writing || e.polling) && !expired {
		e.cond.Wait()
	}
	bound.Stop()
	if e.state != engOpen || e.probeWS != ws || expired {
		if e.probeWS == ws {
			e.probeWS = nil
		}
		e.resumePollingLocked()
		m.mu.Unlock()
		m.logger.Debug("client: websocket upgrade abandoned")
		_ = ws.Close()
		return
	}
	e.probeWS = nil
	e.transport = TransportWebSocket
	e.ws = ws
	e.paused = false
	// "5" goes first, then whatever waited during the pause.
	e.queue = append(e.queue, outPacket{})
	copy(e.queue[1:], e.queue)
	e.queue[0] = outPacket{data: upgradePacket}
	e.kickLocked()
	current := m.eng == e
	m.mu.Unlock()
	if current {
		m.emit(ManagerEvent{Name: EventUpgrade, Transport: TransportWebSocket})
	}
}

// resumePollingLocked undoes a pause: the writer and the polling loop carry on.
func (e *engine) resumePollingLocked() {
	if !e.paused {
		return
	}
	e.paused = false
	if e.state != engOpen && e.state != engClosing {
		return
	}
	e.kickLocked()
	if !e.pollLoopOn {
		e.pollLoopOn = true
		e.m.wg.Add(1)
		go func() {
			defer e.m.wg.Done()
			e.pollLoop()
		}()
	}
}

// checkProbe sends 2probe and expects 3probe.
func (e *engine) checkProbe(ctx context.Context, ws *websocket.Conn) error {
	deadline, _ := ctx.Deadline()
	if err := ws.SetWriteDeadline(deadline); err != nil {
		return err
	}
	if err := ws.WriteMessage(websocket.TextMessage, probePing); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = ws.SetReadDeadline(time.Now()) })
	typ, data, err := ws.ReadMessage()
	if !stop() {
		err = errors.Join(err, ctx.Err())
	}
	if err != nil {
		return err
	}
	if typ != websocket.TextMessage || !bytes.Equal(data, probePong) {
		return fmt.Errorf("%w: probe answered with %q", ErrProtocol, data)
	}
	return errors.Join(ws.SetReadDeadline(time.Time{}), ws.SetWriteDeadline(time.Time{}))
}
