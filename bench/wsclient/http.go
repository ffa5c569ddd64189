package wsclient

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// ErrResponse reports an HTTP response the client cannot read.
var ErrResponse = errors.New("wsclient: malformed HTTP response")

// ErrConnClosed reports a request on a connection the server closed after its last
// response (Connection: close) when the HTTPConn has no way to dial a new one.
var ErrConnClosed = errors.New("wsclient: the server closed the connection (Connection: close)")

// HTTPConn is a keep-alive HTTP/1.1 connection for polling requests, one at a time. When
// a response says `Connection: close`, the next request goes on a new connection from the
// redial function (SetRedial), as a browser's would.
type HTTPConn struct {
	mu      sync.Mutex // guards tc and aborted against Abort from another goroutine
	tc      *net.TCPConn
	aborted bool

	host   string
	redial func() (*net.TCPConn, error)
	closed bool // the last response said Connection: close
	buf    []byte
	r, w   int
	req    []byte
	body   []byte
}

// NewHTTPConn wraps an established connection to host.
func NewHTTPConn(tc *net.TCPConn, host string) *HTTPConn {
	return &HTTPConn{tc: tc, host: host, buf: make([]byte, 2048)}
}

// SetRedial sets how a new connection is dialled after a response with
// `Connection: close`; without it such a connection's next request fails with
// ErrConnClosed.
func (h *HTTPConn) SetRedial(f func() (*net.TCPConn, error)) { h.redial = f }

// TCP returns the underlying connection.
func (h *HTTPConn) TCP() *net.TCPConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tc
}

// Abort closes the connection with a reset; a request under way fails, and no new
// connection is dialled.
func (h *HTTPConn) Abort() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.aborted = true
	return abort(h.tc)
}

// reopen replaces a connection the server closed with a new one from redial.
func (h *HTTPConn) reopen() error {
	if h.redial == nil {
		return ErrConnClosed
	}
	tc, err := h.redial()
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.aborted {
		_ = abort(tc)
		return net.ErrClosed
	}
	_ = h.tc.Close()
	h.tc = tc
	h.closed = false
	h.r, h.w = 0, 0
	return nil
}

// Do sends one request and reads its response. A non-nil body is sent as text/plain with
// POST. The returned body is valid until the next call.
func (h *HTTPConn) Do(method, path string, body []byte, deadline time.Time) (int, []byte, error) {
	if h.closed {
		if err := h.reopen(); err != nil {
			return 0, nil, fmt.Errorf("wsclient: %s %s: %w", method, path, err)
		}
	}
	_ = h.tc.SetDeadline(deadline)
	r := h.req[:0]
	r = append(r, method...)
	r = append(r, ' ')
	r = append(r, path...)
	r = append(r, " HTTP/1.1\r\nHost: "...)
	r = append(r, h.host...)
	if body != nil {
		r = append(r, "\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: "...)
		r = strconv.AppendInt(r, int64(len(body)), 10)
	}
	r = append(r, "\r\n\r\n"...)
	r = append(r, body...)
	h.req = r
	if _, err := h.tc.Write(r); err != nil {
		return 0, nil, fmt.Errorf("wsclient: %s %s: %w", method, path, err)
	}
	status, b, err := h.readResponse()
	if err != nil {
		return 0, nil, fmt.Errorf("wsclient: %s %s: %w", method, path, err)
	}
	return status, b, nil
}

func (h *HTTPConn) readResponse() (int, []byte, error) {
	for {
		end := bytes.Index(h.buf[h.r:h.w], crlfcrlf)
		if end >= 0 {
			head := h.buf[h.r : h.r+end+4]
			status, clen, chunked, closed, err := parseResponseHead(head)
			if err != nil {
				return 0, nil, err
			}
			h.closed = closed
			h.r += end + 4
			if chunked {
				b, err := h.readChunked()
				return status, b, err
			}
			if clen < 0 {
				return 0, nil, fmt.Errorf("%w: no Content-Length", ErrResponse)
			}
			if err := h.need(clen); err != nil {
				return 0, nil, err
			}
			h.body = append(h.body[:0], h.buf[h.r:h.r+clen]...)
			h.r += clen
			return status, h.body, nil
		}
		if err := h.more(); err != nil {
			return 0, nil, err
		}
	}
}

// readChunked reads a chunked body into h.body.
func (h *HTTPConn) readChunked() ([]byte, error) {
	h.body = h.body[:0]
	for {
		i := bytes.Index(h.buf[h.r:h.w], crlf)
		if i < 0 {
			if err := h.more(); err != nil {
				return nil, err
			}
			continue
		}
		size, err := parseChunkSize(h.buf[h.r : h.r+i])
		if err != nil {
			return nil, err
		}
		h.r += i + 2
		if err := h.need(size + 2); err != nil {
			return nil, err
		}
		h.body = append(h.body, h.buf[h.r:h.r+size]...)
		h.r += size + 2
		if size == 0 {
			return h.body, nil // trailers are not used by the servers under test
		}
	}
}

// need makes at least n unread bytes available.
func (h *HTTPConn) need(n int) error {
	if n > MaxMessage+64 {
		return fmt.Errorf("%w: body too large", ErrResponse)
	}
	for h.w-h.r < n {
		if err := h.more(); err != nil {
			return err
		}
	}
	return nil
}

// more reads once, compacting and growing the buffer as needed.
func (h *HTTPConn) more() error {
	if h.r > 0 {
		h.w = copy(h.buf, h.buf[h.r:h.w])
		h.r = 0
	}
	if h.w == len(h.buf) {
		if len(h.buf) >= 2*MaxMessage {
			return fmt.Errorf("%w: too large", ErrResponse)
		}
		nb := make([]byte, 2*len(h.buf))
		copy(nb, h.buf[:h.w])
		h.buf = nb
	}
	n, err := h.tc.Read(h.buf[h.w:])
	h.w += n
	if n > 0 {
		return nil
	}
	return err
}

// parseResponseHead reads the status and the body framing from a response head ending
// with CRLF CRLF. clen is -1 without Content-Length.
func parseResponseHead(head []byte) (status, clen int, chunked, closed bool, err error) {
	line, rest, ok := bytes.Cut(head, crlf)
	if !ok || len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, 0, false, false, fmt.Errorf("%w: status line %q", ErrResponse, truncate(line))
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil || status < 100 || status > 999 {
		return 0, 0, false, false, fmt.Errorf("%w: status line %q", ErrResponse, truncate(line))
	}
	clen = -1
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, crlf)
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, 0, false, false, fmt.Errorf("%w: header %q", ErrResponse, truncate(line))
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			n, cerr := strconv.Atoi(string(v))
			if cerr != nil || n < 0 {
				return 0, 0, false, false, fmt.Errorf("%w: Content-Length %q", ErrResponse, truncate(v))
			}
			clen = n
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			closed = bytes.EqualFold(v, []byte("close"))
		}
	}
	return status, clen, chunked, closed, nil
}

func parseChunkSize(line []byte) (int, error) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	n, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 16, 31)
	if err != nil {
		return 0, fmt.Errorf("%w: chunk size %q", ErrResponse, truncate(line))
	}
	return int(n), nil
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

var crlf = []byte("\r\n")
