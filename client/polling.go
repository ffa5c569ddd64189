package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/sockgate/sockgate/internal/eiocodec"
)

// newHTTPTransport returns the HTTP transport of a Manager's own polling client. A polling
// connection has a GET and a POST in flight at most, so two connections per host suffice.
func newHTTPTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// pollingURL returns a polling URL with a fresh cache buster, as browsers need.
func (e *engine) pollingURL() string {
	base := e.pollURL
	if base == "" {
		base = e.m.httpBase + "&transport=polling"
	}
	return base + "&t=" + strconv.FormatUint(rand.Uint64()>>16, 36)
}

// request sends one polling request and returns the response body, which must be 200 and
// at most MaxPayload bytes.
func (e *engine) request(ctx context.Context, method string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.pollingURL(), rd)
	if err != nil {
		return nil, err
	}
	if method == http.MethodGet && e.pollURL != "" {
		// net/http silently retries a GET whose reused connection broke, and within a
		// session the retry would lose what the server sent on the broken one. A GET with
		// a body and no GetBody is not retried; the empty body is not sent. (Retrying the
		// handshake is harmless, and saves it from a kept-alive connection that died.)
		req.Body, req.GetBody = emptyBody{}, nil
	}
	for k, vs := range e.m.opts.Header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := e.m.httpc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limit := e.m.opts.MaxPayload
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("polling %s: %s: %s", method, resp.Status, bytes.TrimSpace(data))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("polling %s: response larger than %d bytes", method, limit)
	}
	return data, nil
}

// openPolling performs the handshake with a GET; the first packet of the answer is the
// open packet, and the packets after it (if any) are returned to be handled once open.
func (e *engine) openPolling(ctx context.Context) ([]eiocodec.Packet, error) {
	body, err := e.request(ctx, http.MethodGet, nil)
	if err != nil {
		return nil, err
	}
	var rest []eiocodec.Packet
	first := true
	err = eiocodec.DecodePayload(body, func(p eiocodec.Packet) error {
		if first {
			first = false
			if p.Type != eiocodec.PacketOpen || p.Binary {
				return fmt.Errorf("%w: the first packet is not an open packet", ErrProtocol)
			}
			hs, err := parseOpen(p.Data)
			if err != nil {
				return err
			}
			e.hs = hs
			return nil
		}
		rest = append(rest, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.pollURL = e.m.httpBase + "&transport=polling&sid=" + e.hs.sid
	return rest, nil
}

// emptyBody is an empty request body that net/http cannot replay.
type emptyBody struct{}

func (emptyBody) Read([]byte) (int, error) { return 0, io.EOF }
func (emptyBody) Close() error             { return nil }

// errStop stops decoding a payload once a packet ended the connection.
var errStop = errors.New("stop")

// pollLoop issues GETs until the connection closes or moves to websocket. The caller
// has set pollLoopOn; pollLoop clears it when it returns.
func (e *engine) pollLoop() {
	m := e.m
	for {
		m.mu.Lock()
		if e.state == engClosed || e.state == engClosing || e.paused || e.transport != TransportPolling {
			e.pollLoopOn = false
			e.cond.Broadcast()
			m.mu.Unlock()
			return
		}
		e.polling = true
		m.mu.Unlock()

		body, err := e.request(e.ctx, http.MethodGet, nil)
		if err == nil {
			err = eiocodec.DecodePayload(body, func(p eiocodec.Packet) error {
				if e.handle(p) {
					return errStop
				}
				return nil
			})
			if err != nil && !errors.Is(err, errStop) {
				e.close(ReasonParseError, err)
			}
		} else {
			e.close(ReasonTransportError, err)
		}

		m.mu.Lock()
		e.polling = false
		if err != nil {
			e.pollLoopOn = false
		}
		e.cond.Broadcast()
		m.mu.Unlock()
		if err != nil {
			return
		}
		m.disp.throttle()
	}
}

// post writes a batch as one POST payload.
func (e *engine) post(batch []outPacket) error {
	bp := getBuf()
	body := *bp
	for i, p := range batch {
		if i > 0 {
			body = append(body, eiocodec.RecordSeparator)
		}
		if p.binary {
			body = eiocodec.AppendPacket(body, eiocodec.Packet{Type: eiocodec.PacketMessage, Data: p.data, Binary: true})
		} else {
			body = eiocodec.AppendPacket(body, eiocodec.Packet{Type: p.data[0], Data: p.data[1:]})
		}
	}
	*bp = body
	defer putBuf(bp)
	// A client-initiated close still sends its last POST: the engine context ends only
	// when the engine is closed.
	ctx, cancel := context.WithTimeout(e.ctx, writeTimeout)
	defer cancel()
	resp, err := e.request(ctx, http.MethodPost, body)
	if err != nil {
		return err
	}
	if string(resp) != "ok" {
		return fmt.Errorf("%w: polling POST answered %q", ErrProtocol, resp)
	}
	return nil
}
