package gateway

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pollClient is a bare Engine.IO polling client for wire tests.
type pollClient struct {
	tb  testing.TB
	url string
}

func dialPolling(tb testing.TB, hs *httptest.Server) *pollClient {
	tb.Helper()
	p := &pollClient{tb: tb, url: hs.URL + "/socket.io/?EIO=4&transport=polling"}
	body := p.do(http.MethodGet, p.url, "")
	var sid string
	if i := strings.Index(body, `"sid":"`); i >= 0 {
		sid = body[i+7 : i+7+strings.IndexByte(body[i+7:], '"')]
	}
	if sid == "" {
		tb.Fatalf("handshake %q", body)
	}
	p.url += "&sid=" + sid
	return p
}

func (p *pollClient) do(method, url, body string) string {
	p.tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		p.tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		p.tb.Fatalf("%s: %d %q", method, resp.StatusCode, b)
	}
	return string(b)
}

func (p *pollClient) post(packets ...string) {
	p.tb.Helper()
	if got := p.do(http.MethodPost, p.url, strings.Join(packets, "\x1e")); got != "ok" {
		p.tb.Fatalf("POST answered %q", got)
	}
}

// get returns the packets of one GET.
func (p *pollClient) get() []string {
	p.tb.Helper()
	return strings.Split(p.do(http.MethodGet, p.url, ""), "\x1e")
}

// Issue 8.10: 1,000 acked events in one POST, most of them refused because the socket's
// handlers are behind, all get an answer, and the connection lives.
func TestAckBurstInOnePost(t *testing.T) {
	srv, hs := newTestServer(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour})
	release := make(chan struct{})
	srv.OnConnection(func(s *Socket) {
		s.On("e", func(e *Event) {
			<-release
			_ = e.Ack("ok")
		})
	})
	p := dialPolling(t, hs)
	p.post("40")
	if got := p.get(); len(got) != 1 || !strings.HasPrefix(got[0], "40{") {
		t.Fatalf("CONNECT reply %q", got)
	}
	const n = 1000
	burst := make([]string, n)
	for i := range burst {
		burst[i] = "42" + strconv.Itoa(i) + `["e"]`
	}
	p.post(burst...)
	close(release)

	answered := make(map[int]string)
	exceptions := 0
	deadline := time.Now().Add(10 * time.Second)
	for len(answered) < n && time.Now().Before(deadline) {
		for _, pkt := range p.get() {
			switch {
			case strings.HasPrefix(pkt, "43"):
				j := strings.IndexByte(pkt, '[')
				id, err := strconv.Atoi(pkt[2:j])
				if err != nil {
					t.Fatalf("ack %q", pkt)
				}
				if _, dup := answered[id]; dup {
					t.Fatalf("ack %d twice", id)
				}
				answered[id] = pkt[j:]
			case strings.HasPrefix(pkt, `42["exception"`):
				exceptions++
			case pkt == "6", pkt == "2":
			case pkt == "1":
				t.Fatalf("the connection was closed after %d answers", len(answered))
			default:
				t.Fatalf("packet %q", pkt)
			}
		}
	}
	ok, refused := 0, 0
	for id := range n {
		switch a := answered[id]; {
		case a == `["ok"]`:
			ok++
		case strings.Contains(a, `"code":"resource_exhausted"`):
			refused++
		default:
			t.Fatalf("event %d answered %q", id, a)
		}
	}
	if exceptions > 1 {
		t.Errorf("%d exception events for one burst, want one", exceptions)
	}
	t.Logf("%d handled, %d refused, %d exception", ok, refused, exceptions)
	// The connection lives.
	p.post(`42` + fmt.Sprint(n) + `["e"]`)
	for {
		got := p.get()
		if len(got) == 1 && got[0] == "43"+fmt.Sprint(n)+`["ok"]` {
			break
		}
		if got[0] != "6" {
			t.Fatalf("after the burst: %q", got)
		}
	}
}

// Issue 9.8: Close waits for no client: neither a polling client that left between two
// requests (it would never come back for its close packet) nor a websocket client that
// does not answer the close frame.
func TestCloseWaitsForNoClient(t *testing.T) {
	for _, transport := range []string{"polling", "websocket"} {
		t.Run(transport, func(t *testing.T) {
			srv, hs := newTestServer(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour})
			if transport == "polling" {
				p := dialPolling(t, hs)
				p.post("40")
				if got := p.get(); !strings.HasPrefix(got[0], "40{") {
					t.Fatalf("CONNECT reply %q", got)
				}
			} else {
				dialRaw(t, hs).connect("/") // and reads no more
			}
			start := time.Now()
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d >= pollingCloseGrace/2 {
				t.Errorf("Close took %v", d)
			}
		})
	}
}
