package gen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockgate/sockgate/bench/proto"
	"github.com/sockgate/sockgate/bench/wsclient"
)

// openTimeout bounds one session's opening, handshake to CONNECT reply.
const openTimeout = 30 * time.Second

// Errors of session opening.
var (
	ErrRefused  = errors.New("gen: CONNECT refused")
	ErrUpgrade  = errors.New("gen: upgrade failed")
	ErrUnexpect = errors.New("gen: unexpected packet")
)

// client opens sessions on one server.
type client struct {
	addr   string
	path   string
	dialer *wsclient.Dialer
	// spread, when set, are several nodes of one cluster: websocket sessions are opened
	// on each in turn (the first on spread[0]); everything else uses addr.
	spread []string
	next   atomic.Uint64
}

// wsAddr is the address of the next websocket session.
func (cl *client) wsAddr() string {
	if len(cl.spread) == 0 {
		return cl.addr
	}
	return cl.spread[(cl.next.Add(1)-1)%uint64(len(cl.spread))]
}

func (cl *client) query(transport, sid, rooms string) string {
	q := cl.path + "?EIO=4&transport=" + transport
	if sid != "" {
		q += "&sid=" + sid
	}
	if rooms != "" {
		q += "&rooms=" + rooms
	}
	return q
}

// openWS opens a websocket-only session and joins the main namespace: handshake, open
// packet, 40, and the 40{sid} reply.
func (cl *client) openWS(ctx context.Context, rooms string) (*wsclient.Conn, error) {
	addr := cl.wsAddr()
	tc, err := cl.dialer.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(openTimeout)
	c, err := wsclient.Handshake(tc, addr, cl.query("websocket", "", rooms), deadline)
	if err != nil {
		_ = tc.Close()
		return nil, err
	}
	_ = tc.SetDeadline(deadline)
	if err := cl.connect(c); err != nil {
		_ = c.Abort()
		return nil, err
	}
	_ = tc.SetDeadline(time.Time{})
	return c, nil
}

// connect reads the open packet, sends 40 and waits for the CONNECT reply.
func (cl *client) connect(c *wsclient.Conn) error {
	sawOpen := false
	for {
		op, p, err := c.Next()
		if err != nil {
			return err
		}
		if op == wsclient.OpPing {
			_ = c.WritePong(p)
			continue
		}
		if op != wsclient.OpText || len(p) == 0 {
			if op == wsclient.OpClose {
				return fmt.Errorf("%w: close frame", ErrUnexpect)
			}
			continue
		}
		switch {
		case !sawOpen && p[0] == '0':
			sawOpen = true
			if err := c.WriteText(proto.Connect); err != nil {
				return err
			}
		case bytes.Equal(p, proto.Ping):
			if err := c.WriteText(proto.Pong); err != nil {
				return err
			}
		case proto.IsConnectReply(p):
			return nil
		case proto.IsConnectError(p):
			return fmt.Errorf("%w: %s", ErrRefused, p)
		}
	}
}

// pollHandshake opens a session over polling on one keep-alive connection: GET open,
// POST 40, GET until 40{sid}. It returns that connection, the session id, and any packets
// that came after the CONNECT reply in the same response.
func (cl *client) pollHandshake(ctx context.Context, rooms string, deadline time.Time) (h *wsclient.HTTPConn, sid string, extra [][]byte, err error) {
	tc, err := cl.dialer.Dial(ctx, cl.addr)
	if err != nil {
		return nil, "", nil, err
	}
	h = wsclient.NewHTTPConn(tc, cl.addr)
	h.SetRedial(func() (*net.TCPConn, error) { return cl.dialer.Dial(ctx, cl.addr) })
	defer func() {
		if err != nil {
			_ = h.Abort()
		}
	}()
	status, body, err := h.Do("GET", cl.query("polling", "", rooms), nil, deadline)
	if err != nil {
		return nil, "", nil, err
	}
	if status != 200 {
		return nil, "", nil, fmt.Errorf("%w: handshake status %d", ErrUnexpect, status)
	}
	var first []byte
	proto.SplitPayload(body, func(p []byte) {
		if first == nil {
			first = p
		}
	})
	open, err := proto.ParseOpen(first)
	if err != nil {
		return nil, "", nil, err
	}
	sid = open.SID
	path := cl.query("polling", sid, "")
	if status, body, err = h.Do("POST", path, proto.Connect, deadline); err != nil {
		return nil, "", nil, err
	} else if status != 200 || string(body) != "ok" {
		return nil, "", nil, fmt.Errorf("%w: POST status %d %q", ErrUnexpect, status, body)
	}
	for connected := false; !connected; {
		status, body, err = h.Do("GET", path, nil, deadline)
		if err != nil {
			return nil, "", nil, err
		}
		if status != 200 {
			return nil, "", nil, fmt.Errorf("%w: GET status %d", ErrUnexpect, status)
		}
		var refused []byte
		proto.SplitPayload(body, func(p []byte) {
			switch {
			case connected:
				extra = append(extra, append([]byte(nil), p...))
			case proto.IsConnectReply(p):
				connected = true
			case proto.IsConnectError(p):
				refused = p
			}
		})
		if refused != nil {
			return nil, "", nil, fmt.Errorf("%w: %s", ErrRefused, refused)
		}
	}
	return h, sid, extra, nil
}

// openPolling opens a session over polling (pollHandshake), then upgrades it (websocket
// with the sid, 2probe, 3probe, 5) and resets the polling connection.
func (cl *client) openPolling(ctx context.Context, rooms string) (*wsclient.Conn, error) {
	deadline := time.Now().Add(openTimeout)
	h, sid, _, err := cl.pollHandshake(ctx, rooms, deadline)
	if err != nil {
		return nil, err
	}
	defer h.Abort()
	wtc, err := cl.dialer.Dial(ctx, cl.addr)
	if err != nil {
		return nil, err
	}
	c, err := wsclient.Handshake(wtc, cl.addr, cl.query("websocket", sid, ""), deadline)
	if err != nil {
		_ = wtc.Close()
		return nil, err
	}
	_ = wtc.SetDeadline(deadline)
	if err := probe(c); err != nil {
		_ = c.Abort()
		return nil, err
	}
	_ = wtc.SetDeadline(time.Time{})
	return c, nil
}

func probe(c *wsclient.Conn) error {
	if err := c.WriteText(proto.ProbePing); err != nil {
		return err
	}
	for {
		op, p, err := c.Next()
		if err != nil {
			return err
		}
		if op == wsclient.OpClose {
			return fmt.Errorf("%w: closed during the probe", ErrUpgrade)
		}
		if op == wsclient.OpText && bytes.Equal(p, proto.ProbePong) {
			return c.WriteText(proto.Upgrade)
		}
	}
}

// readFrames reads text frames until the connection fails, answering Engine.IO and
// websocket pings; fn sees every other text frame and may stop the loop by returning
// false.
func readFrames(c *wsclient.Conn, fn func(p []byte) bool) error {
	for {
		op, p, err := c.Next()
		if err != nil {
			return err
		}
		switch op {
		case wsclient.OpText:
			if len(p) == 1 && p[0] == '2' {
				if err := c.WriteText(proto.Pong); err != nil {
					return err
				}
				continue
			}
			if !fn(p) {
				return nil
			}
		case wsclient.OpPing:
			if err := c.WritePong(p); err != nil {
				return err
			}
		case wsclient.OpClose:
			return errClosedByServer
		}
	}
}

var errClosedByServer = errors.New("gen: closed by the server")

// session is an open session of any transport: what a pool closes.
type session interface {
	Abort() error
}

// pool is a set of open sessions, each with a reader goroutine.
type pool[T session] struct {
	mu    sync.Mutex
	conns []T
	wg    sync.WaitGroup

	dropped atomic.Int64 // readers that ended before the pool was closed
	closing atomic.Bool
}

// add keeps c and starts its reader: read(c) runs until c fails or the pool closes.
func (p *pool[T]) add(c T, read func(T) error) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
	if read == nil {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = read(c)
		if !p.closing.Load() {
			p.dropped.Add(1)
		}
	}()
}

func (p *pool[T]) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// snapshot returns the sessions so far.
func (p *pool[T]) snapshot() []T {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]T(nil), p.conns...)
}

// closeAll resets every connection and waits for the readers.
func (p *pool[T]) closeAll() {
	p.closing.Store(true)
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		_ = c.Abort()
	}
	p.wg.Wait()
}

// openMany opens n sessions with at most inflight being opened at once, handing each to
// done (i is the session's index). It returns the number of failed openings; it stops
// early when ctx ends.
func openMany[T any](ctx context.Context, n, inflight int, open func(i int) (T, error), done func(i int, c T, took time.Duration)) (failures int) {
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(inflight, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				start := time.Now()
				c, err := open(i)
				if err != nil {
					failed.Add(1)
					continue
				}
				done(i, c, time.Since(start))
			}
		}()
	}
	wg.Wait()
	return int(failed.Load())
}
