package engineio

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// ReasonJoinTimeout is the close reason of a session that joined no namespace within
// Config.JoinTimeout.
const ReasonJoinTimeout = "join timeout"

// A refusal is an HTTP answer to a handshake refused by a limit: the status and the JSON
// body {"code":...,"message":...}, the message naming the limit.
type refusal struct {
	status int
	code   int
	msg    string
}

var (
	refuseServerFull = &refusal{http.StatusForbidden, CodeForbidden, "Server full: connection limit reached"}
	refuseRate       = &refusal{http.StatusTooManyRequests, CodeForbidden, "Too many handshakes from this address"}
	refusePending    = &refusal{http.StatusTooManyRequests, CodeForbidden, "Too many connections from this address not yet in a namespace"}
)

// body is the JSON body of r; the messages need no escaping.
func (r *refusal) body() []byte {
	return []byte(`{"code":` + strconv.Itoa(r.code) + `,"message":"` + r.msg + `"}`)
}

func (r *refusal) write(w http.ResponseWriter) {
	w.Header()["Content-Type"] = hdrJSON
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body())
}

// limits admits handshakes: a server-wide maximum of sessions, and per client address a
// token bucket of handshakes and a maximum of sessions that have not joined a namespace.
// Its lock is taken after a Conn lock, never before.
type limits struct {
	maxConns   int
	rate       float64 // handshakes per second per address; 0: no limit
	burst      float64
	maxPending int

	mu    sync.Mutex // guards the fields below
	conns int        // sessions admitted and not ended
	addrs map[string]*addrState
	sweep int // len(addrs) that triggers the next sweep
}

type addrState struct {
	tokens  float64
	last    time.Time
	pending int // sessions not yet in a namespace
}

func newLimits(cfg *Config) *limits {
	return &limits{
		maxConns:   cfg.MaxConnections,
		rate:       cfg.HandshakeRate,
		burst:      float64(max(cfg.HandshakeBurst, 1)),
		maxPending: cfg.MaxPendingPerAddress,
		addrs:      make(map[string]*addrState),
		sweep:      1024,
	}
}

// addrKey is the client address a limit counts: the host of remoteAddr, and for IPv6 its
// /64, which one client usually holds whole.
func addrKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// admit counts a new session from addr, or refuses it.
func (l *limits) admit(addr string, now time.Time) *refusal {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxConns > 0 && l.conns >= l.maxConns {
		return refuseServerFull
	}
	st := l.addrs[addr]
	if st == nil {
		st = &addrState{tokens: l.burst, last: now}
	} else {
		st.refill(l, now)
	}
	if l.rate > 0 && st.tokens < 1 {
		l.keep(addr, st, now)
		return refuseRate
	}
	if l.maxPending > 0 && st.pending >= l.maxPending {
		l.keep(addr, st, now)
		return refusePending
	}
	st.tokens--
	st.pending++
	l.conns++
	l.keep(addr, st, now)
	return nil
}

func (st *addrState) refill(l *limits, now time.Time) {
	st.tokens = min(l.burst, st.tokens+now.Sub(st.last).Seconds()*l.rate)
	st.last = now
}

// keep stores st, first dropping the addresses with nothing to remember (no pending
// session, a full bucket) when the table has doubled since the last sweep: the table is
// bounded by the addresses active within a bucket's refill time.
func (l *limits) keep(addr string, st *addrState, now time.Time) {
	l.addrs[addr] = st
	if len(l.addrs) < l.sweep {
		return
	}
	for a, s := range l.addrs {
		if s.pending == 0 && (l.rate == 0 || s.tokens+now.Sub(s.last).Seconds()*l.rate >= l.burst) {
			delete(l.addrs, a)
		}
	}
	l.sweep = max(1024, 2*len(l.addrs))
}

// joined ends the pending state of a session from addr.
func (l *limits) joined(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unpendLocked(addr)
}

func (l *limits) unpendLocked(addr string) {
	if st := l.addrs[addr]; st != nil {
		st.pending--
		if st.pending == 0 && (l.rate == 0 || st.tokens >= l.burst) {
			delete(l.addrs, addr)
		}
	}
}

// ended releases a session from addr; pending says it never joined a namespace.
func (l *limits) ended(addr string, pending bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns--
	if pending {
		l.unpendLocked(addr)
	}
}

// Joined tells the server that the session has joined its first namespace (the layer
// above calls it once its CONNECT was accepted): it no longer counts against
// Config.MaxPendingPerAddress, and Config.JoinTimeout no longer applies. Later calls do
// nothing.
func (c *Conn) Joined() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.pending || c.closed {
		return
	}
	c.pending = false
	if c.joinTimer != nil {
		// Dropped, not only stopped: a joined session may live for days, and the timer
		// is a good part of an idle session's memory.
		c.joinTimer.Stop()
		c.joinTimer = nil
	}
	c.srv.limits.joined(c.addr)
}

// onJoinTimeout closes a session that has not joined a namespace in time.
func (c *Conn) onJoinTimeout() {
	c.mu.Lock()
	if c.pending {
		c.shutLocked(ReasonJoinTimeout, nil, closeFlush, true)
	}
	c.mu.Unlock()
}

// releaseLimitsLocked gives back what the session counts in the limits, once, when it
// ends. c.mu is held.
func (c *Conn) releaseLimitsLocked() {
	if c.joinTimer != nil {
		c.joinTimer.Stop()
	}
	c.srv.limits.ended(c.addr, c.pending)
	c.pending = false
}
