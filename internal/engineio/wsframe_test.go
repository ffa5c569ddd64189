package engineio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// clientFrameBytes builds a masked client frame the way a browser does.
func clientFrameBytes(fin bool, op byte, payload []byte, key [4]byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n <= 125:
		out = append(out, 0x80|byte(n))
	case n <= 0xffff:
		out = append(out, 0x80|126, byte(n>>8), byte(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i&3])
	}
	return out
}

var testKey = [4]byte{0x12, 0x34, 0x56, 0x78}

func TestParseClientFrame(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		ok     bool
		code   int // close code of the error, 0 for none
		hdr, n int
	}{
		{"short", []byte{0x81}, false, 0, 0, 0},
		{"no mask key yet", []byte{0x81, 0x85, 1, 2}, false, 0, 0, 0},
		{"text", clientFrameBytes(true, opText, []byte("hello"), testKey), true, 0, 6, 5},
		{"16-bit length", clientFrameBytes(true, opBinary, make([]byte, 300), testKey), true, 0, 8, 300},
		{"64-bit length", clientFrameBytes(true, opBinary, make([]byte, 70000), testKey), true, 0, 14, 70000},
		{"64-bit length over the limit", []byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 0}, false, closeTooBig, 0, 0},
		{"unmasked", []byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'}, false, closeProtocolError, 0, 0},
		{"reserved bit", []byte{0xc1, 0x80, 0, 0, 0, 0}, false, closeProtocolError, 0, 0},
		{"unknown opcode", []byte{0x83, 0x80, 0, 0, 0, 0}, false, closeProtocolError, 0, 0},
		{"fragmented ping", []byte{0x09, 0x80, 0, 0, 0, 0}, false, closeProtocolError, 0, 0},
		{"long close", []byte{0x88, 0x80 | 126, 0, 200}, false, closeProtocolError, 0, 0},
		{"over the limit", clientFrameBytes(true, opText, make([]byte, 1001), testKey), false, closeTooBig, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := int64(1000)
			if tt.n > 1000 {
				limit = 1 << 20
			}
			f, ok, err := parseClientFrame(tt.in, limit)
			var fe *frameError
			switch {
			case tt.code != 0 && (!errors.As(err, &fe) || fe.code != tt.code):
				t.Fatalf("err = %v, want close code %d", err, tt.code)
			case tt.code == 0 && err != nil:
				t.Fatalf("err = %v", err)
			}
			if ok != tt.ok || (ok && (f.hdr != tt.hdr || f.n != tt.n || f.mask != testKey)) {
				t.Fatalf("got %+v ok=%v", f, ok)
			}
		})
	}
	if _, _, err := parseClientFrame(clientFrameBytes(true, opText, make([]byte, 1001), testKey), 1000); !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("a frame over the limit is not ErrPayloadTooLarge: %v", err)
	}
	if _, _, err := parseClientFrame([]byte{0x81, 5}, 1000); !errors.Is(err, ErrProtocol) {
		t.Fatalf("an unmasked frame is not ErrProtocol: %v", err)
	}
}

func TestAppendFrameHeader(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want []byte
	}{
		{5, []byte{0x81, 5}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		if got := appendFrameHeader(nil, opText, tt.n); !bytes.Equal(got, tt.want) {
			t.Errorf("header of %d: % x, want % x", tt.n, got, tt.want)
		}
	}
	if got := appendCloseFrame(nil, closeTooBig); !bytes.Equal(got, []byte{0x88, 2, 0x03, 0xf1}) {
		t.Errorf("close frame % x", got)
	}
}

func TestUnmask(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 40; n++ {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		for pos := 0; pos < 4; pos++ {
			got := bytes.Clone(p)
			unmask(got, testKey, pos)
			for i := range p {
				if got[i] != p[i]^testKey[(pos+i)&3] {
					t.Fatalf("n=%d pos=%d: byte %d wrong", n, pos, i)
				}
			}
		}
	}
}

// readAllFrames feeds b to a frameReader in pieces of size step and collects messages.
func readAllFrames(t *testing.T, b []byte, step int, limit int64) ([]string, error) {
	t.Helper()
	r := frameReader{limit: limit}
	var out []string
	var buf []byte
	for len(b) > 0 || len(buf) > 0 {
		k := min(step, len(b))
		buf = append(buf, b[:k]...)
		b = b[k:]
		for {
			n, op, p, err := r.next(buf)
			if err != nil {
				return out, err
			}
			if n == 0 {
				break
			}
			if op != 0 {
				out = append(out, string(rune('0'+op))+":"+string(p))
			}
			buf = buf[n:]
		}
		if k == 0 && len(buf) > 0 {
			return out, errors.New("trailing bytes")
		}
	}
	return out, nil
}

func TestFrameReader(t *testing.T) {
	msg := func(fin bool, op byte, s string) []byte { return clientFrameBytes(fin, op, []byte(s), testKey) }
	cat := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
	tests := []struct {
		name  string
		in    []byte
		want  []string
		code  int
		limit int64
	}{
		{"two texts", cat(msg(true, opText, "4a"), msg(true, opText, "4b")), []string{"1:4a", "1:4b"}, 0, 100},
		{"binary", msg(true, opBinary, "\x00\x01"), []string{"2:\x00\x01"}, 0, 100},
		{"fragments with a ping between", cat(msg(false, opText, "4he"), msg(true, opPing, "p"), msg(false, opContinuation, "ll"), msg(true, opContinuation, "o")),
			[]string{"9:p", "1:4hello"}, 0, 100},
		{"close", msg(true, opClose, "\x03\xe8"), []string{"8:\x03\xe8"}, 0, 100},
		{"continuation without start", msg(true, opContinuation, "x"), nil, closeProtocolError, 100},
		{"message inside a fragmented one", cat(msg(false, opText, "a"), msg(true, opText, "b")), nil, closeProtocolError, 100},
		{"fragments over the limit", cat(msg(false, opText, strings.Repeat("a", 60)), msg(true, opContinuation, strings.Repeat("b", 60))), nil, closeTooBig, 100},
		{"large", msg(true, opText, strings.Repeat("z", 70000)), []string{"1:" + strings.Repeat("z", 70000)}, 0, 1e6},
	}
	for _, tt := range tests {
		for _, step := range []int{1, 3, 1 << 20} {
			got, err := readAllFrames(t, tt.in, step, tt.limit)
			var fe *frameError
			if tt.code != 0 {
				if !errors.As(err, &fe) || fe.code != tt.code {
					t.Errorf("%s (step %d): err %v, want code %d", tt.name, step, err, tt.code)
				}
				continue
			}
			if err != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("%s (step %d): got %.40q, %v", tt.name, step, got, err)
			}
		}
	}
}

func FuzzFrameReader(f *testing.F) {
	f.Add(clientFrameBytes(true, opText, []byte("4hello"), testKey), uint8(1))
	f.Add(clientFrameBytes(false, opText, []byte("4he"), testKey), uint8(2))
	f.Add([]byte{0x88, 0x82, 1, 2, 3, 4, 5, 6}, uint8(3))
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 9}, uint8(5))
	f.Fuzz(func(t *testing.T, b []byte, step uint8) {
		// Never panics, and what it returns is well-formed.
		got, err := readAllFrames(t, b, int(step)+1, 1000)
		var fe *frameError
		if err != nil && !errors.As(err, &fe) && err.Error() != "trailing bytes" {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
		for _, m := range got {
			if len(m) > 1002 {
				t.Fatalf("message over the limit: %d bytes", len(m))
			}
		}
		// A payload framed by a client comes back whole.
		in := clientFrameBytes(true, opBinary, b, testKey)
		got, err = readAllFrames(t, in, int(step)+1, 1<<20)
		if err != nil || len(got) != 1 || got[0] != "2:"+string(b) {
			t.Fatalf("round trip of %d bytes: %v", len(b), err)
		}
	})
}

// TestWebSocketFraming sends frames a browser may send, split at odd places, and checks
// what the session gets and answers.
func TestWebSocketFraming(t *testing.T) {
	h := newRecorder(true)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	nc, err := net.Dial("tcp", strings.TrimPrefix(e.wsBase, "ws://")[:strings.Index(strings.TrimPrefix(e.wsBase, "ws://"), "/")])
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	path := e.wsBase[strings.Index(strings.TrimPrefix(e.wsBase, "ws://"), "/")+len("ws://"):]
	req := "GET " + path + "?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	// Use gorilla's client machinery to read the server's frames: wrap the raw socket
	// after the handshake response.
	_ = nc.SetDeadline(time.Now().Add(testTimeout))
	head := make([]byte, 0, 512)
	one := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		if _, err := nc.Read(one); err != nil {
			t.Fatal(err)
		}
		head = append(head, one[0])
	}
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 101")) {
		t.Fatalf("handshake: %q", head)
	}
	c := h.nextOpen(t)
	readFrame := func() (byte, []byte) {
		t.Helper()
		var hdr [2]byte
		if _, err := readFull(nc, hdr[:]); err != nil {
			t.Fatal(err)
		}
		n := int(hdr[1] & 0x7f)
		switch n {
		case 126:
			var ext [2]byte
			_, _ = readFull(nc, ext[:])
			n = int(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			_, _ = readFull(nc, ext[:])
			n = int(binary.BigEndian.Uint64(ext[:]))
		}
		p := make([]byte, n)
		if _, err := readFull(nc, p); err != nil {
			t.Fatal(err)
		}
		return hdr[0] & 0x0f, p
	}
	if op, p := readFrame(); op != opText || p[0] != '0' {
		t.Fatalf("open packet: %d %q", op, p)
	}
	big := "4" + strings.Repeat("b", 100_000) // larger than a poller's scratch buffer
	stream := bytes.Join([][]byte{
		clientFrameBytes(false, opText, []byte("4frag"), testKey),
		clientFrameBytes(true, opPing, []byte("hi"), testKey),
		clientFrameBytes(true, opContinuation, []byte("mented"), testKey),
		clientFrameBytes(true, opText, []byte(big), testKey),
		clientFrameBytes(true, opBinary, []byte{1, 2, 3}, testKey),
	}, nil)
	// Written in uneven pieces so that frames straddle reads.
	for i := 0; i < len(stream); {
		k := min(len(stream)-i, 1+i%7919)
		if _, err := nc.Write(stream[i : i+k]); err != nil {
			t.Fatal(err)
		}
		i += k
	}
	for _, want := range []string{"fragmented", big[1:], "\x01\x02\x03"} {
		if m := h.nextMsg(t); m.c != c || m.data != want {
			t.Fatalf("message %.30q, want %.30q", m.data, want)
		}
	}
	// The ping is answered with a pong, and the echoes come back in order.
	var got []string
	for len(got) < 4 {
		op, p := readFrame()
		got = append(got, string(rune('0'+op))+":"+string(p[:min(len(p), 12)]))
	}
	if strings.Join(got, "|") != "::hi|1:4fragmented|1:4bbbbbbbbbbb|2:\x01\x02\x03" {
		t.Fatalf("server frames %q", got)
	}
	// A close frame is answered with one, and the session ends.
	if _, err := nc.Write(clientFrameBytes(true, opClose, []byte{0x03, 0xe8}, testKey)); err != nil {
		t.Fatal(err)
	}
	if op, p := readFrame(); op != opClose || !bytes.Equal(p, []byte{0x03, 0xe8}) {
		t.Fatalf("close answer %d % x", op, p)
	}
	if ev := h.nextClose(t); ev.reason != ReasonTransportClose {
		t.Fatalf("OnClose %q", ev.reason)
	}
}

func readFull(c net.Conn, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := c.Read(p[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// TestUnmaskedFrameClosesWithProtocolError: a client frame without a mask is refused
// with 1002, as RFC 6455 requires.
func TestUnmaskedFrameClosesWithProtocolError(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	ws, _ := e.wsSession("")
	h.nextOpen(t)
	nc := ws.UnderlyingConn()
	if _, err := nc.Write([]byte{0x81, 0x02, '4', 'x'}); err != nil {
		t.Fatal(err)
	}
	err := waitWSClosed(t, ws)
	if !websocket.IsCloseError(err, websocket.CloseProtocolError) {
		t.Errorf("close error %v, want 1002", err)
	}
	if ev := h.nextClose(t); ev.reason != ReasonParseError || !errors.Is(ev.err, ErrProtocol) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
}

// countingHandler counts the messages of every session; its OnOpen and OnClose go to a
// recorder.
type countingHandler struct {
	*recorder
	mu   sync.Mutex
	seen map[*Conn]int
	all  chan struct{} // closed when want messages have arrived in all
	want int
	n    int
}

func (h *countingHandler) OnMessage(c *Conn, data []byte, binary bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen[c]++
	if h.n++; h.n == h.want {
		close(h.all)
	}
}

// TestBusySocketDoesNotStarveOthers sends far more than one share of reads in one burst
// on one socket while another socket talks: both get everything, in order per socket.
func TestBusySocketDoesNotStarveOthers(t *testing.T) {
	const burst = 20000 // frames of ~100 bytes: about 8 poller shares of reads
	h := &countingHandler{recorder: newRecorder(false), seen: map[*Conn]int{}, all: make(chan struct{}), want: burst + 50}
	e := newEnvWith(t, NewServer(Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h), h.recorder)
	busy, _ := e.wsSession("")
	cb := h.nextOpen(t)
	quiet, _ := e.wsSession("")
	cq := h.nextOpen(t)
	frame := clientFrameBytes(true, opText, []byte("4"+strings.Repeat("m", 96)), testKey)
	stream := bytes.Repeat(frame, burst)
	done := make(chan error, 1)
	go func() {
		_ = busy.UnderlyingConn().SetWriteDeadline(time.Now().Add(testTimeout))
		_, err := busy.UnderlyingConn().Write(stream)
		done <- err
	}()
	for i := 0; i < 50; i++ {
		writeWS(t, quiet, websocket.TextMessage, "4q")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.all:
	case <-time.After(testTimeout):
		h.mu.Lock()
		defer h.mu.Unlock()
		t.Fatalf("messages: busy %d of %d, quiet %d of 50", h.seen[cb], burst, h.seen[cq])
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen[cb] != burst || h.seen[cq] != 50 {
		t.Fatalf("busy %d, quiet %d", h.seen[cb], h.seen[cq])
	}
}
