package wsclient

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseFrameHeader(t *testing.T) {
	tests := []struct {
		name      string
		in        []byte
		fin       bool
		op        byte
		hdr, n    int
		ok, isErr bool
	}{
		{"short", []byte{0x81}, false, 0, 0, 0, false, false},
		{"text 5", []byte{0x81, 5}, true, OpText, 2, 5, true, false},
		{"fragment start", []byte{0x01, 3}, false, OpText, 2, 3, true, false},
		{"16-bit length", []byte{0x82, 126, 0x01, 0x00}, true, OpBinary, 4, 256, true, false},
		{"16-bit length short", []byte{0x82, 126, 0x01}, false, 0, 0, 0, false, false},
		{"64-bit length", []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}, true, OpText, 10, 65536, true, false},
		{"64-bit too large", []byte{0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0}, false, 0, 0, 0, false, true},
		{"masked", []byte{0x81, 0x85}, false, 0, 0, 0, false, true},
		{"rsv", []byte{0xc1, 1}, false, 0, 0, 0, false, true},
		{"bad opcode", []byte{0x83, 1}, false, 0, 0, 0, false, true},
		{"fragmented ping", []byte{0x09, 0}, false, 0, 0, 0, false, true},
		{"ping", []byte{0x89, 0}, true, OpPing, 2, 0, true, false},
		{"long close", []byte{0x88, 126, 0, 200}, false, 0, 0, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fin, op, hdr, n, ok, err := parseFrameHeader(tt.in)
			if (err != nil) != tt.isErr {
				t.Fatalf("err = %v, want error %v", err, tt.isErr)
			}
			if fin != tt.fin || op != tt.op || hdr != tt.hdr || n != tt.n || ok != tt.ok {
				t.Fatalf("got fin %v op %d hdr %d n %d ok %v", fin, op, hdr, n, ok)
			}
		})
	}
}

func TestAppendClientFrame(t *testing.T) {
	for _, size := range []int{0, 125, 126, 65535, 65536} {
		f := AppendClientFrame(nil, OpText, bytes.Repeat([]byte{'a'}, size))
		// Masked frames have the mask bit and a 4-byte key after the length.
		if f[0] != 0x81 || f[1]&0x80 == 0 {
			t.Fatalf("size %d: header % x", size, f[:2])
		}
		want := 2 + 4 + size
		if size > 125 {
			want += 2
		}
		if size > 65535 {
			want += 6
		}
		if len(f) != want {
			t.Fatalf("size %d: frame length %d, want %d", size, len(f), want)
		}
	}
}

func TestParseResponseHead(t *testing.T) {
	tests := []struct {
		in      string
		status  int
		clen    int
		chunked bool
		isErr   bool
	}{
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 101, -1, false, false},
		{"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n", 200, 12, false, false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200, -1, true, false},
		{"HTTP/1.0 400 Bad\r\n\r\n", 400, -1, false, false},
		{"HTTP/2 200\r\n\r\n", 0, 0, false, true},
		{"HTTP/1.1 2x0 OK\r\n\r\n", 0, 0, false, true},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, 0, false, true},
		{"HTTP/1.1 200 OK\r\nbroken\r\n\r\n", 0, 0, false, true},
		{"garbage", 0, 0, false, true},
	}
	for _, tt := range tests {
		status, clen, chunked, _, err := parseResponseHead([]byte(tt.in))
		if (err != nil) != tt.isErr || status != tt.status || clen != tt.clen || chunked != tt.chunked {
			t.Errorf("parseResponseHead(%q) = %d %d %v %v", tt.in, status, clen, chunked, err)
		}
	}
}

func TestParseSources(t *testing.T) {
	got, err := ParseSources("127.0.0.2-127.0.0.4,127.0.1.1")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, a := range got {
		s = append(s, a.String())
	}
	if strings.Join(s, " ") != "127.0.0.2 127.0.0.3 127.0.0.4 127.0.1.1" {
		t.Fatalf("got %v", s)
	}
	for _, bad := range []string{"x", "127.0.0.5-127.0.0.1", "127.0.0.1-y", "::1-::2", "127.0.0.0-127.0.255.255"} {
		if _, err := ParseSources(bad); err == nil {
			t.Errorf("ParseSources(%q) accepted", bad)
		}
	}
	if got, err := ParseSources(""); err != nil || got != nil {
		t.Fatalf("empty: %v %v", got, err)
	}
}

// echoServer is a gorilla websocket server that sends "hello", a ping, a fragmented
// message, then echoes every text message; and answers /poll with fixed bodies.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.WriteMessage(websocket.TextMessage, []byte("hello"))
		_ = c.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second))
		nw, _ := c.NextWriter(websocket.TextMessage)
		_, _ = nw.Write(bytes.Repeat([]byte{'z'}, 3000)) // a 16-bit length
		_ = nw.Close()
		for {
			typ, m, err := c.ReadMessage()
			if err != nil {
				return
			}
			_ = c.WriteMessage(typ, m)
		}
	})
	mux.HandleFunc("/poll", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush()
		}
		_, _ = w.Write(append([]byte("got:"), body...))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestConnAgainstGorilla(t *testing.T) {
	srv := echoServer(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	src, _ := ParseSources("127.0.0.2-127.0.0.3")
	d := &Dialer{Sources: src}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tc, err := d.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if la := tc.LocalAddr().(*net.TCPAddr); la.IP.String() != "127.0.0.2" {
		t.Fatalf("local address %v, want 127.0.0.2", la)
	}
	c, err := Handshake(tc, addr, "/ws", time.Now().Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	expect := func(wantOp byte, want string) {
		t.Helper()
		op, p, err := c.Next()
		if err != nil {
			t.Fatal(err)
		}
		if op != wantOp || string(p) != want {
			t.Fatalf("got op %d %q, want op %d %q", op, truncate(p), wantOp, truncate([]byte(want)))
		}
	}
	expect(OpText, "hello")
	expect(OpPing, "p")
	expect(OpText, strings.Repeat("z", 3000))
	for _, msg := range []string{"a", strings.Repeat("b", 200), strings.Repeat("c", 70000)} {
		if err := c.WriteText([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		expect(OpText, msg)
	}
	if err := c.WritePong(nil); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteClose(); err != nil {
		t.Fatal(err)
	}
	op, _, err := c.Next()
	if op != OpClose && err == nil {
		t.Fatalf("after close: op %d", op)
	}
}

func TestHandshakeRefused(t *testing.T) {
	srv := echoServer(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	tc, err := (&Dialer{}).Dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, err := Handshake(tc, addr, "/nothing", time.Now().Add(5*time.Second)); !errors.Is(err, ErrHandshake) {
		t.Fatalf("err = %v, want ErrHandshake", err)
	}
}

func TestHTTPConnKeepAlive(t *testing.T) {
	srv := echoServer(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	tc, err := (&Dialer{RecvBuffer: 8192}).Dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHTTPConn(tc, addr)
	defer h.Abort()
	dl := time.Now().Add(5 * time.Second)
	for i, tt := range []struct {
		method, path string
		body         []byte
		want         string
	}{
		{"GET", "/poll", nil, "got:"},
		{"POST", "/poll", []byte("40"), "got:40"},
		{"POST", "/poll?chunked=1", []byte(strings.Repeat("q", 5000)), "got:" + strings.Repeat("q", 5000)},
		{"GET", "/poll", nil, "got:"},
	} {
		status, body, err := h.Do(tt.method, tt.path, tt.body, dl)
		if err != nil || status != 200 || string(body) != tt.want {
			t.Fatalf("request %d: %d %q %v", i, status, truncate(body), err)
		}
	}
	if h.TCP() != tc {
		t.Fatal("TCP() is not the dialled connection")
	}
}

// A response with Connection: close (sockgate answers a detached polling GET so) ends its
// connection: the next request goes on a new one from the redial function, and fails
// clearly without one.
func TestHTTPConnConnectionClose(t *testing.T) {
	var conns, requests int
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns++
		}
	}
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	dial := func() (*net.TCPConn, error) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		return c.(*net.TCPConn), nil
	}
	dl := time.Now().Add(5 * time.Second)

	tc, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	h := NewHTTPConn(tc, addr)
	if status, body, err := h.Do("GET", "/", nil, dl); err != nil || status != 200 || string(body) != "ok" {
		t.Fatalf("first request: %d %q %v", status, body, err)
	}
	if _, _, err := h.Do("GET", "/", nil, dl); !errors.Is(err, ErrConnClosed) {
		t.Fatalf("second request without a redial function: %v, want ErrConnClosed", err)
	}
	_ = h.Abort()

	tc, err = dial()
	if err != nil {
		t.Fatal(err)
	}
	h = NewHTTPConn(tc, addr)
	h.SetRedial(dial)
	for i := range 3 {
		if status, body, err := h.Do("GET", "/", nil, dl); err != nil || status != 200 || string(body) != "ok" {
			t.Fatalf("request %d with a redial function: %d %q %v", i, status, body, err)
		}
	}
	_ = h.Abort()
	srv.Close()
	if requests != 4 || conns != 4 {
		t.Fatalf("%d requests on %d connections, want 4 on 4", requests, conns)
	}
}

func FuzzParsers(f *testing.F) {
	f.Add([]byte{0x81, 5, 'h', 'e', 'l', 'l', 'o'})
	f.Add([]byte{0x82, 126, 0, 2, 1, 2})
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"))
	f.Add([]byte("1a;ext"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, _, hdr, n, ok, err := parseFrameHeader(b); ok && (err != nil || hdr < 2 || hdr > 10 || n < 0 || n > MaxMessage) {
			t.Fatalf("parseFrameHeader(% x): hdr %d n %d err %v", b, hdr, n, err)
		}
		if status, clen, _, _, err := parseResponseHead(b); err == nil && (status < 100 || clen < -1) {
			t.Fatalf("parseResponseHead(%q) = %d %d", b, status, clen)
		}
		if n, err := parseChunkSize(b); err == nil && n < 0 {
			t.Fatalf("parseChunkSize(%q) = %d", b, n)
		}
	})
}

// TestNextSplitReads feeds frames byte by byte: frames split across reads must reassemble.
func TestNextSplitReads(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	frames := []byte{0x81, 2, 'h', 'i', 0x01, 1, 'a', 0x89, 0, 0x80, 1, 'b', 0x81, 126, 0x04, 0x00}
	frames = append(frames, bytes.Repeat([]byte{'L'}, 1024)...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s, err := ln.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		for i := range frames {
			if _, err := s.Write(frames[i : i+1]); err != nil {
				return
			}
		}
	}()
	tc, err := net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	_ = tc.SetNoDelay(true)
	c := &Conn{tc: tc, buf: make([]byte, 16)}
	defer c.Close()
	for _, want := range []struct {
		op byte
		p  string
	}{{OpText, "hi"}, {OpPing, ""}, {OpText, "ab"}, {OpText, strings.Repeat("L", 1024)}} {
		op, p, err := c.Next()
		if err != nil || op != want.op || string(p) != want.p {
			t.Fatalf("got %d %q %v, want %d %q", op, truncate(p), err, want.op, want.p)
		}
	}
	if _, _, err := c.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("at the end: %v, want EOF", err)
	}
	<-done
}
