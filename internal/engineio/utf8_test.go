package engineio

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// A websocket text frame that is not UTF-8 closes the session with 1007 (RFC 6455 §8.1)
// and is never delivered; a character split across fragments is valid.
func TestWebSocketInvalidUTF8ClosesWith1007(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames [][]byte
	}{
		{"one frame", [][]byte{clientFrameBytes(true, opText, []byte("4\xff\xfe"), testKey)}},
		{"truncated character", [][]byte{clientFrameBytes(true, opText, []byte("4caf\xc3"), testKey)}},
		{"surrogate", [][]byte{clientFrameBytes(true, opText, []byte("4\xed\xa0\x80"), testKey)}},
		{"in a fragment", [][]byte{
			clientFrameBytes(false, opText, []byte("4ok"), testKey),
			clientFrameBytes(true, opContinuation, []byte("\xff"), testKey),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newRecorder(true)
			e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
			ws, _ := e.wsSession("")
			h.nextOpen(t)
			for _, f := range tc.frames {
				if _, err := ws.UnderlyingConn().Write(f); err != nil {
					t.Fatal(err)
				}
			}
			if err := waitWSClosed(t, ws); !websocket.IsCloseError(err, websocket.CloseInvalidFramePayloadData) {
				t.Errorf("close error %v, want 1007", err)
			}
			if ev := h.nextClose(t); ev.reason != ReasonParseError || !errors.Is(ev.err, ErrInvalidUTF8) {
				t.Errorf("OnClose %q %v", ev.reason, ev.err)
			}
			if len(h.msgs) != 0 {
				t.Errorf("delivered %q", (<-h.msgs).data)
			}
		})
	}
}

func TestWebSocketUTF8SplitAcrossFragments(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	ws, _ := e.wsSession("")
	h.nextOpen(t)
	for _, f := range [][]byte{
		clientFrameBytes(false, opText, []byte("4caf\xc3"), testKey),
		clientFrameBytes(true, opContinuation, []byte("\xa9"), testKey),
	} {
		if _, err := ws.UnderlyingConn().Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if m := h.nextMsg(t); m.data != "café" {
		t.Errorf("message %q", m.data)
	}
}

// A polling payload that is not UTF-8 is refused with 400 before any of its packets is
// delivered, and the session is closed.
func TestPollingInvalidUTF8Refused(t *testing.T) {
	h := newRecorder(false)
	e := newEnv(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	sid := e.handshake().SID
	h.nextOpen(t)
	if status, body := e.post(sid, "4hello\x1e4\xff\xfe"); status != http.StatusBadRequest || !strings.Contains(body, `"code":3`) {
		t.Errorf("POST answered %d %q, want 400 Bad request", status, body)
	}
	if ev := h.nextClose(t); ev.reason != ReasonParseError || !errors.Is(ev.err, ErrInvalidUTF8) {
		t.Errorf("OnClose %q %v", ev.reason, ev.err)
	}
	if len(h.msgs) != 0 {
		t.Errorf("delivered %q", (<-h.msgs).data)
	}
	if status, _ := e.get(sid); status != http.StatusBadRequest {
		t.Errorf("GET after the refusal: %d, want 400", status)
	}
}

// FuzzTextOutIsUTF8 is the property of issue 8.1 at the transport: whatever a client sends
// as a text frame or a polling payload, every text frame and polling response the server
// writes (here: an echo of everything delivered) is valid UTF-8.
func FuzzTextOutIsUTF8(f *testing.F) {
	for _, s := range []string{"4hello", "4\xff\xfe", "4caf\xc3\xa9", "4a\x1e4\xc3", "bAQI=", "4\xed\xa0\x80", "6", "4\u2028"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	h := newRecorder(true)
	h.msgs = make(chan msgEvent, 1<<16)
	e := newEnv(f, Config{PingInterval: time.Hour, PingTimeout: time.Hour}, h)
	f.Fuzz(func(t *testing.T, in []byte, overWS bool) {
		for len(h.msgs) > 0 {
			<-h.msgs
		}
		if overWS {
			fuzzWebSocketEcho(t, e, in)
		} else {
			fuzzPollingEcho(t, e, in)
		}
	})
}

// endMark is sent after the fuzzed input; its echo ends the reading.
const endMark = "4\x00end"

func fuzzWebSocketEcho(t *testing.T, e *env, in []byte) {
	ws, _, err := websocket.DefaultDialer.Dial(e.wsBase+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(testTimeout))
	if _, _, err := ws.ReadMessage(); err != nil { // the open packet
		t.Fatal(err)
	}
	if _, err := ws.UnderlyingConn().Write(clientFrameBytes(true, opText, in, testKey)); err != nil {
		t.Fatal(err)
	}
	_, _ = ws.UnderlyingConn().Write(clientFrameBytes(true, opText, []byte(endMark), testKey))
	for {
		typ, data, err := ws.ReadMessage()
		if err != nil {
			return // closed: by then every frame written was checked
		}
		if typ == websocket.TextMessage && !utf8.Valid(data) {
			t.Fatalf("input %q: server wrote the text frame %q", in, data)
		}
		if string(data) == endMark {
			return
		}
	}
}

func fuzzPollingEcho(t *testing.T, e *env, in []byte) {
	get := func(url string) string {
		resp, err := e.client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(b) {
			t.Fatalf("input %q: server answered %q", in, b)
		}
		return string(b)
	}
	op := parseOpen(t, get(e.url("EIO=4&transport=polling")))
	resp, err := e.client.Post(e.sidURL(op.SID), "text/plain;charset=UTF-8", strings.NewReader(string(in)+"\x1e"+endMark))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !utf8.Valid(b) {
		t.Fatalf("input %q: POST answered %q", in, b)
	}
	if resp.StatusCode != http.StatusOK {
		return
	}
	for out := ""; !strings.Contains(out, endMark); {
		out = get(e.sidURL(op.SID))
		if strings.HasPrefix(out, "1") || strings.Contains(out, `"code"`) {
			return // the session ended
		}
	}
}
