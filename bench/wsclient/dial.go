package wsclient

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"
)

// Dialer opens TCP connections from a rotating set of source addresses.
type Dialer struct {
	// Sources are the local addresses to bind, used in turn. Empty: the kernel chooses.
	Sources []netip.Addr
	// Timeout bounds the TCP connect. Zero: 10s.
	Timeout time.Duration
	// RecvBuffer, when positive, sets SO_RCVBUF before connecting (a small window makes a
	// slow consumer felt quickly).
	RecvBuffer int

	next atomic.Uint32
}

// Dial connects to addr (host:port) over TCP.
func (d *Dialer) Dial(ctx context.Context, addr string) (*net.TCPConn, error) {
	nd := net.Dialer{Timeout: d.Timeout, Control: d.control}
	if nd.Timeout == 0 {
		nd.Timeout = 10 * time.Second
	}
	if n := len(d.Sources); n > 0 {
		src := d.Sources[int(d.next.Add(1)-1)%n]
		nd.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
	}
	c, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("wsclient: dial %s: %w", addr, err)
	}
	return c.(*net.TCPConn), nil
}

func (d *Dialer) control(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		if len(d.Sources) > 0 {
			serr = setBindNoPort(int(fd))
		}
		if serr == nil && d.RecvBuffer > 0 {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, d.RecvBuffer)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// abort closes c with a reset (SO_LINGER 0), leaving no TIME_WAIT.
func abort(c *net.TCPConn) error {
	_ = c.SetLinger(0)
	return c.Close()
}

// ParseSources turns "127.0.0.2-127.0.0.9" or a comma-separated list into addresses.
func ParseSources(s string) ([]netip.Addr, error) {
	if s == "" {
		return nil, nil
	}
	var out []netip.Addr
	for len(s) > 0 {
		var part string
		part, s, _ = cutByte(s, ',')
		lo, hi, isRange := cutByte(part, '-')
		a, err := netip.ParseAddr(lo)
		if err != nil {
			return nil, fmt.Errorf("wsclient: source %q: %w", part, err)
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, err := netip.ParseAddr(hi)
		if err != nil {
			return nil, fmt.Errorf("wsclient: source %q: %w", part, err)
		}
		if b.Less(a) || !a.Is4() || !b.Is4() {
			return nil, fmt.Errorf("wsclient: source range %q must be increasing IPv4", part)
		}
		for x := a; ; x = x.Next() {
			out = append(out, x)
			if x == b {
				break
			}
			if len(out) > 1024 {
				return nil, fmt.Errorf("wsclient: source range %q is too wide", part)
			}
		}
	}
	return out, nil
}

func cutByte(s string, c byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
