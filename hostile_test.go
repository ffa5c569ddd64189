package sockgate_test

// The hostile-input catalogue: what a client may send to hurt the server or other
// clients, and what the server must answer. Every case runs over both transports
// (websocket, and HTTP long-polling), against a server built for it, and ends with a
// bystander client being served as usual. Add a case here with every new limit.

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"

	"github.com/sockgate/sockgate/auth"
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/pipes/sanitize"
)

// hostileSecret signs the catalogue's tokens.
var hostileSecret = []byte("hostile-catalogue-secret")

// hostileGateway serves the catalogue: /h is guarded by the JWT guard and limited.
type hostileGateway struct {
	decorators.Gateway `namespace:"/h" use:"jwt,sanitize"`

	_ decorators.Subscribe `ws:"limited" rate:"3/h"`
	_ decorators.Subscribe `ws:"echo"`
	_ decorators.Subscribe `ws:"join"`
	_ decorators.Subscribe `ws:"dm"`
}

type hostileText struct {
	Text string `json:"text" sanitize:"html"`
}

type hostileDM struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

func (*hostileGateway) OnLimited() string                  { return "ok" }
func (*hostileGateway) OnEcho(in hostileText) string       { return in.Text }
func (*hostileGateway) OnJoin(s *gateway.Socket, r string) { s.Join(r) }
func (*hostileGateway) OnDm(s *gateway.Socket, in hostileDM) error {
	return s.Namespace().To(in.To).Emit("dm", in.Text)
}

type hostileServer struct {
	url string
	j   *auth.JWT
}

func newHostileServer(t *testing.T) *hostileServer {
	t.Helper()
	j, err := auth.NewJWT(auth.Config{Secret: hostileSecret})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := gateway.NewServer(gateway.Config{
		EventRate:            "50/h", // for events without a rate: of their own, on "/"
		MaxRateRefusals:      5,
		MaxChildNamespaces:   3,
		HandshakeRate:        -1, // every client of the catalogue comes from 127.0.0.1
		MaxPendingPerAddress: -1,
	},
		gateway.WithLogger(slog.New(slog.NewTextHandler(hostileLog, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		gateway.WithNamed("jwt", j.Guard()),
		gateway.WithNamed("sanitize", sanitize.Pipe()))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(&hostileGateway{}); err != nil {
		t.Fatal(err)
	}
	srv.OfPattern(regexp.MustCompile(`^/dyn-\d+$`))
	srv.OnConnection(func(s *gateway.Socket) {
		s.On("ping", func(e *gateway.Event) { _ = e.Ack("pong") })
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { _ = srv.Close(); hs.Close() })
	return &hostileServer{url: hs.URL, j: j}
}

func (h *hostileServer) token(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(hostileSecret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (h *hostileServer) authPayload(t *testing.T, user string) string {
	t.Helper()
	return `{"token":"` + h.token(t, jwt.MapClaims{"sub": user, "exp": time.Now().Add(time.Hour).Unix()}) + `"}`
}

var hostileCases = []struct {
	name string
	run  func(t *testing.T, h *hostileServer, dial func() rawHelpers)
}{
	{"event flood over a rate: tag", func(t *testing.T, h *hostileServer, dial func() rawHelpers) {
		c := dial()
		c.connect(t, "/h", h.authPayload(t, "mallory"))
		for i := 0; i < 3; i++ {
			c.send(t, `42/h,`+strconv.Itoa(i)+`["limited"]`)
			c.expect(t, `43/h,`+strconv.Itoa(i)+`["ok"]`)
		}
		for i := 10; i < 15; i++ { // refused, the socket stays
			c.send(t, `42/h,`+strconv.Itoa(i)+`["limited"]`)
			c.expect(t, `43/h,`+strconv.Itoa(i)+`[{"status":"error","code":"resource_exhausted","message":"rate limit exceeded: at most 3/h per socket"}]`)
			if i == 10 { // one exception per streak of refusals
				c.expectPrefix(t, `42/h,["exception",{"status":"error","code":"resource_exhausted"`)
			}
		}
		c.send(t, `42/h,20["limited"]`) // one refusal too many: disconnected
		c.expect(t, `41/h,`)
	}},
	{"acknowledged event that no handler takes", func(t *testing.T, h *hostileServer, dial func() rawHelpers) {
		c := dial()
		c.connect(t, "/", "")
		c.send(t, `427["nobody-listens"]`)
		c.expect(t, `437[{"status":"error","code":"not_found","message":"no handler for this event"}]`)
		c.expectPrefix(t, `42["exception",{"status":"error","code":"not_found"`)
	}},
	{"a new event name for every event under a default limit", func(t *testing.T, h *hostileServer, dial func() rawHelpers) {
		c := dial()
		c.connect(t, "/", "")
		// 15 names get buckets of their own (50 events each); the others share the
		// 16th: 50 pass, 5 are refused, and the next refusal disconnects.
		for i := 0; i < 15+50+6; i++ {
			c.send(t, `42["e`+strconv.Itoa(i)+`"]`)
		}
		c.expectEventually(t, `41`)
	}},
	{"child namespace spray", func(t *testing.T, h *hostileServer, dial func() rawHelpers) {
		c := dial()
		c.connect(t, "/dyn-1", "")
		c.connect(t, "/dyn-2", "")
		c.connect(t, "/dyn-3", "")
		c.send(t, `40/dyn-4,`)
		c.expect(t, `44/dyn-4,{"message":"Too many namespaces"}`)
		c.send(t, `41/dyn-1,`) // an empty child goes, and makes room
		c.connect(t, "/dyn-4", "")
	}},
	{"token without exp", func(t *testing.T, h *hostileServer, dial func() rawHelpers) {
		c := dial()
		c.send(t, `40/h,{"token":"`+h.token(t, jwt.MapClaims{"sub": "forever"})+`"}`)
		c.expect(t, `44/h,{"message":"Invalid token","data":{"code":"unauthenticated"}}`)
	}},
	{"token that expires while connected", func(t *testing.T, h *hostileServer, dial func() rawHelpers) {
		c := dial()
		exp := time.Now().Add(time.Second).Truncate(time.Second).Unix()
		c.connect(t, "/h", `{"token":"`+h.token(t, jwt.MapClaims{"sub": "brief", "exp": exp})+`"}`)
		c.expectEventually(t, `41/h,`)
	}},
	{"markup in a sanitized field", func(t *testing.T, h *hostileServer, dial func() rawHelpers) {
		c := dial()
		c.connect(t, "/h", h.authPayload(t, "mallory"))
		c.send(t, `42/h,1["echo",{"text":"<img src=x onerror=alert(1)>hi<script>steal()</script> & bye"}]`)
		c.expect(t, `43/h,1["hi &amp; bye"]`)
	}},
	{"joining a room named after another socket's id", func(t *testing.T, h *hostileServer, dial func() rawHelpers) {
		victim, thief := dial(), dial()
		vid := victim.connect(t, "/h", h.authPayload(t, "victim"))
		thief.connect(t, "/h", h.authPayload(t, "thief"))
		thief.send(t, `42/h,1["join","`+vid+`"]`)
		thief.expect(t, `43/h,1[]`)
		thief.send(t, `42/h,2["dm",{"to":"`+vid+`","text":"for the victim"}]`)
		thief.expect(t, `42/h,["dm","for the victim"]`) // it joined the room, as in Node
		thief.expect(t, `43/h,2[]`)
		victim.expect(t, `42/h,["dm","for the victim"]`) // and the room still reaches its owner
	}},
}

func TestHostileCatalogue(t *testing.T) {
	for _, transport := range []string{"websocket", "polling"} {
		for _, tc := range hostileCases {
			t.Run(transport+"/"+tc.name, func(t *testing.T) {
				h := newHostileServer(t)
				dial := func() rawHelpers {
					if transport == "websocket" {
						return dialWebSocket(t, h.url)
					}
					return dialPolling(t, h.url)
				}
				tc.run(t, h, dial)
				// The server goes on serving everyone else.
				b := dial()
				b.connect(t, "/", "")
				b.send(t, `421["ping"]`)
				b.expect(t, `431["pong"]`)
			})
		}
	}
}

// rawConn speaks Engine.IO message packets ("4" and a Socket.IO packet: "40" is CONNECT,
// "42[...]" an event) over one transport, by hand.
type rawConn interface {
	// send writes one message packet.
	send(t *testing.T, packet string)
	// next returns the next message packet, answering pings; "" when the session ended.
	next(t *testing.T) string
}

func connectPacket(nsp, authJSON string) (string, string) {
	prefix := "40"
	if nsp != "/" {
		prefix += nsp + ","
	}
	return prefix + authJSON, prefix
}

// rawHelpers are the assertions shared by both transports.
type rawHelpers struct{ rawConn }

func (c rawHelpers) expect(t *testing.T, want string) {
	t.Helper()
	if got := c.next(t); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func (c rawHelpers) expectPrefix(t *testing.T, prefix string) string {
	t.Helper()
	got := c.next(t)
	if !strings.HasPrefix(got, prefix) {
		t.Fatalf("got %q, want prefix %q", got, prefix)
	}
	return got
}

// expectEventually skips packets until want.
func (c rawHelpers) expectEventually(t *testing.T, want string) {
	t.Helper()
	for {
		got := c.next(t)
		if got == want {
			return
		}
		if got == "" {
			t.Fatalf("the session ended before %q", want)
		}
	}
}

func (c rawHelpers) connect(t *testing.T, nsp, authJSON string) string {
	t.Helper()
	p, prefix := connectPacket(nsp, authJSON)
	c.send(t, p)
	got := c.expectPrefix(t, prefix+`{"sid":"`)
	var body struct{ SID string }
	if err := json.Unmarshal([]byte(got[len(prefix):]), &body); err != nil {
		t.Fatalf("CONNECT reply %q: %v", got, err)
	}
	return body.SID
}

// The websocket transport.

type wsRaw struct{ ws *websocket.Conn }

func dialWebSocket(t *testing.T, base string) rawHelpers {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	c := &wsRaw{ws: ws}
	if _, b, err := ws.ReadMessage(); err != nil || !strings.HasPrefix(string(b), "0") {
		t.Fatalf("open packet %q, %v", b, err)
	}
	return rawHelpers{c}
}

func (c *wsRaw) send(t *testing.T, packet string) {
	t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(packet)); err != nil {
		t.Fatalf("write %q: %v", packet, err)
	}
}

func (c *wsRaw) next(t *testing.T) string {
	t.Helper()
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return ""
		}
		switch s := string(b); {
		case s == "2":
			_ = c.ws.WriteMessage(websocket.TextMessage, []byte("3"))
		case strings.HasPrefix(s, "4"):
			return s
		case s == "1":
			return ""
		}
	}
}

// The polling transport.

type pollRaw struct {
	url   string
	queue []string
	ended bool
	httpc *http.Client
}

func dialPolling(t *testing.T, base string) rawHelpers {
	t.Helper()
	c := &pollRaw{httpc: &http.Client{Timeout: 30 * time.Second}}
	resp, err := c.httpc.Get(base + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var open struct{ SID string }
	if !strings.HasPrefix(string(body), "0") || json.Unmarshal(body[1:], &open) != nil {
		t.Fatalf("handshake %d %q", resp.StatusCode, body)
	}
	c.url = base + "/socket.io/?EIO=4&transport=polling&sid=" + open.SID
	t.Cleanup(func() {
		if !c.ended {
			c.post("1")
		}
	})
	return rawHelpers{c}
}

func (c *pollRaw) post(body string) int {
	resp, err := c.httpc.Post(c.url, "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (c *pollRaw) send(t *testing.T, packet string) {
	t.Helper()
	if code := c.post(packet); code != http.StatusOK {
		t.Fatalf("POST %q: status %d", packet, code)
	}
}

func (c *pollRaw) next(t *testing.T) string {
	t.Helper()
	for len(c.queue) == 0 {
		if c.ended {
			return ""
		}
		resp, err := c.httpc.Get(c.url)
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			c.ended = true
			return ""
		}
		for _, p := range strings.Split(string(body), "\x1e") {
			switch {
			case p == "2":
				c.post("3")
			case p == "1" || p == "6":
				if p == "1" {
					c.ended = true
				}
			case strings.HasPrefix(p, "4"):
				c.queue = append(c.queue, p)
			}
		}
	}
	p := c.queue[0]
	c.queue = c.queue[1:]
	return p
}

// hostileLog receives the servers' logs; set SOCKGATE_TEST_LOG=1 to see them.
var hostileLog io.Writer = io.Discard

func init() {
	if os.Getenv("SOCKGATE_TEST_LOG") != "" {
		hostileLog = os.Stderr
	}
}
