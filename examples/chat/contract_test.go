package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sockgate/sockgate/auth"
	"github.com/sockgate/sockgate/client"
)

// The contract of the chat application (see doc.go), run against every client kind.

func TestContractGoClient(t *testing.T) {
	t.Run("polling then websocket", func(t *testing.T) { runContract(t, goClient("go", nil)) })
	t.Run("websocket only", func(t *testing.T) {
		runContract(t, goClient("go-websocket", []string{client.TransportWebSocket}))
	})
}

func TestContractSocketIOClient(t *testing.T) {
	t.Run("default transports", func(t *testing.T) { runContract(t, nodeClient(t, "node", nil)) })
	t.Run("websocket only", func(t *testing.T) {
		runContract(t, nodeClient(t, "node-websocket", []string{"websocket"}))
	})
}

func runContract(t *testing.T, k clientKind) {
	app := startApp(t, nil)
	connect := func(t *testing.T, nsp, user string) peer {
		t.Helper()
		return k.connect(t, app.URL, nsp, app.authFor(t, user))
	}

	t.Run("authentication", func(t *testing.T) {
		expired := signWith(t, authConfigAt(-2), "alice")
		wrongSecret := signWith(t, auth.Config{Secret: []byte("another secret")}, "alice")
		hs384 := mintToken(t, jwt.SigningMethodHS384, jwt.MapClaims{"sub": "alice", "exp": inAnHour()})
		none, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "alice", "exp": inAnHour()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
		noExp := mintToken(t, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice"})
		if err != nil {
			t.Fatal(err)
		}
		for _, nsp := range []string{"/", "/chat", "/notifications"} {
			for _, tc := range []struct {
				name string
				auth any
				want string
			}{
				{"no payload", nil, "Authentication required"},
				{"no token", map[string]string{}, "Authentication required"},
				{"empty token", map[string]string{"token": ""}, "Authentication required"},
				{"garbage", map[string]string{"token": "not-a-token"}, "Invalid token"},
				{"expired", map[string]string{"token": expired}, "Invalid token"},
				{"wrong secret", map[string]string{"token": wrongSecret}, "Invalid token"},
				{"HS384", map[string]string{"token": hs384}, "Invalid token"},
				{"alg none", map[string]string{"token": none}, "Invalid token"},
				{"no exp", map[string]string{"token": noExp}, "Invalid token"},
			} {
				msg, data := k.refused(t, app.URL, nsp, tc.auth)
				if msg != tc.want {
					t.Errorf("%s %s: connect_error %q, want %q", nsp, tc.name, msg, tc.want)
				}
				jsonEq(t, data, `{"code":"unauthenticated"}`)
			}
		}
		// The user id is sub, or id when there is no sub.
		for _, tc := range []struct {
			claims jwt.MapClaims
			user   string
		}{
			{jwt.MapClaims{"sub": "sam", "exp": inAnHour()}, "sam"},
			{jwt.MapClaims{"id": "ida", "exp": inAnHour()}, "ida"},
			{jwt.MapClaims{"id": 42, "exp": inAnHour()}, "42"},
			{jwt.MapClaims{"sub": "<b>eve</b> & co", "exp": inAnHour()}, "eve &amp; co"}, // another issuer's user id, sanitized
		} {
			p := k.connect(t, app.URL, "/", map[string]string{"token": mintToken(t, jwt.SigningMethodHS256, tc.claims)})
			p.Ack("message", map[string]any{"id": "u", "text": "who"})
			expectArgs(t, p.Expect("message-broadcast"), `{"id":"u","text":"who","userId":"`+tc.user+`"}`)
		}
		// Clients that cannot send a payload may send an Authorization header.
		h := k.connectHeader(t, app.URL, "/", map[string]string{"Authorization": "Bearer " + app.token(t, "hank")})
		h.Ack("message", map[string]any{"text": "by header"})
		expectArgs(t, h.Expect("message-broadcast"), `{"text":"by header","userId":"hank"}`)
		if msg, _ := k.refused(t, app.URL, "/chat", nil); msg != "Authentication required" {
			t.Errorf("without payload or header: %q", msg)
		}

		// A development token works.
		p := k.connect(t, app.URL, "/", map[string]string{"token": devToken(t, app.URL, "dave")})
		p.Ack("message", map[string]any{"text": "hello"})
		expectArgs(t, p.Expect("message-broadcast"), `{"text":"hello","userId":"dave"}`)
	})

	t.Run("message", func(t *testing.T) {
		a, b, c := connect(t, "/", "alice"), connect(t, "/", "bob"), connect(t, "/", "carol")
		ack := a.Ack("message", map[string]any{"id": 1, "text": "<b>hi</b> there<script>alert(1)</script>"})
		expectArgs(t, ack, `{"status":"received","timestamp":`+strconv.FormatInt(testNow.UnixMilli(), 10)+`}`)
		expectArgs(t, a.Expect("message-received"), `{"id":1}`)
		want := `{"id":1,"text":"hi there","userId":"alice"}`
		for _, p := range []peer{b, c} {
			expectArgs(t, p.Expect("new-message"), want)
		}
		for _, p := range []peer{a, b, c} {
			expectArgs(t, p.Expect("message-broadcast"), want)
		}
		a.Sync()
		expectCount(t, a, "new-message", 0)
		b.Sync()
		expectCount(t, b, "message-received", 0)

		// HTML is removed and what is left escaped; ids are numbers or safe strings.
		a.Ack("message", map[string]any{"id": "m-2:b.c_d", "text": `<img src=x onerror=alert(1)>Tom & "Jerry" <3`})
		expectArgs(t, b.Expect("new-message"), `{"id":"m-2:b.c_d","text":"Tom &amp; &#34;Jerry&#34; &lt;3","userId":"alice"}`)

		// At most 1000 characters, counted as characters.
		long := strings.Repeat("é", 1000)
		a.Ack("message", map[string]any{"id": "long", "text": long})
		expectArgs(t, b.Expect("new-message"), `{"id":"long","text":"`+long+`","userId":"alice"}`)
	})

	t.Run("invalid message", func(t *testing.T) {
		a, b := connect(t, "/", "alice"), connect(t, "/", "bob")
		for _, body := range []any{
			map[string]any{"id": 2},
			map[string]any{"id": 2, "text": ""},
			map[string]any{"id": 2, "text": strings.Repeat("a", 1001)},
			map[string]any{"id": 2, "text": 42},
			map[string]any{"id": "<script>alert(1)</script>", "text": "id with markup"},
			map[string]any{"id": "", "text": "empty id"},
			map[string]any{"id": strings.Repeat("i", 65), "text": "long id"},
			map[string]any{"id": map[string]any{"html": "<b>"}, "text": "object id"},
			map[string]any{"id": true, "text": "boolean id"},
			"just a string",
		} {
			ack := a.Ack("message", body)
			expectError(t, ack, "invalid_argument", "")
			exc := a.Expect("exception")
			expectError(t, exc, "invalid_argument", "message")
		}
		b.Sync()
		expectCount(t, b, "new-message", 0)
		a.Sync()
		expectCount(t, a, "message-received", 0)
		expectCount(t, a, "message-broadcast", 0)
	})

	t.Run("typing", func(t *testing.T) {
		a, b, c := connect(t, "/", "alice"), connect(t, "/", "bob"), connect(t, "/", "carol")
		// Only isTyping is relayed: what else the client sends, userId included, is dropped.
		a.Emit("typing", map[string]any{"isTyping": true, "userId": "mallory", "where": map[string]any{"room": "<img src=x onerror=alert(1)>"}})
		for _, p := range []peer{b, c} {
			expectArgs(t, p.Expect("user-typing"), `{"isTyping":true,"userId":"alice"}`)
		}
		a.Sync()
		expectCount(t, a, "user-typing", 0)
	})

	t.Run("rooms", func(t *testing.T) {
		a, b, c := connect(t, "/", "alice"), connect(t, "/", "bob"), connect(t, "/", "carol")
		expectArgs(t, b.Ack("join-room", "lobby"), roomsJSON(b.ID(), "lobby"))
		expectArgs(t, a.Ack("join-room", "lobby"), roomsJSON(a.ID(), "lobby"))
		expectArgs(t, b.Expect("user-joined"), `{"userId":"alice"}`)
		expectArgs(t, a.Ack("join-room", 7), roomsJSON(a.ID(), "7", "lobby"))
		for _, p := range []peer{a, c} {
			p.Sync()
			expectCount(t, p, "user-joined", 0)
		}

		// room-message reaches every member, the sender included.
		ack := a.Ack("room-message", map[string]any{"room": "lobby", "text": "<i>yo</i>"})
		expectArgs(t, ack, `{"status":"received","timestamp":`+strconv.FormatInt(testNow.UnixMilli(), 10)+`}`)
		for _, p := range []peer{a, b} {
			expectArgs(t, p.Expect("new-message"), `{"room":"lobby","text":"yo","userId":"alice"}`)
		}
		c.Sync()
		expectCount(t, c, "new-message", 0)

		// Outsiders may not send to a room.
		expectError(t, c.Ack("room-message", map[string]any{"room": "lobby", "text": "let me in"}), "permission_denied", "")
		expectError(t, c.Expect("exception"), "permission_denied", "room-message")
		expectError(t, c.Ack("room-message", map[string]any{"room": "lobby"}), "invalid_argument", "")
		c.Expect("exception")

		// leave-room tells those who stay.
		expectArgs(t, a.Ack("leave-room", "lobby"), roomsJSON(a.ID(), "7"))
		expectArgs(t, b.Expect("user-left"), `{"userId":"alice"}`)
		expectError(t, a.Ack("room-message", map[string]any{"room": "lobby", "text": "still here?"}), "permission_denied", "")
		a.Expect("exception")
		for _, p := range []peer{a, c} {
			p.Sync()
			expectCount(t, p, "user-left", 0)
		}
		for _, p := range []peer{a, b} {
			p.Sync()
			expectCount(t, p, "new-message", 1)
		}

		// Names: 1 to 128 characters.
		expectError(t, a.Ack("join-room", ""), "invalid_argument", "")
		a.Expect("exception")
		expectError(t, a.Ack("join-room", strings.Repeat("r", 129)), "invalid_argument", "")
		a.Expect("exception")
		for _, bad := range []string{"<b>x</b>", "a b", "x\u0000y", `"quoted"`, "a&b", "tab\there"} {
			expectError(t, a.Ack("join-room", bad), "invalid_argument", "")
			a.Expect("exception")
			expectError(t, a.Ack("room-message", map[string]any{"room": bad, "text": "x"}), "invalid_argument", "")
			a.Expect("exception")
		}
		expectArgs(t, a.Ack("join-room", "café-2:x_y.z"), roomsJSON(a.ID(), "7", "café-2:x_y.z"))

		// A room named after a socket id is not that socket's private room.
		expectArgs(t, c.Ack("join-room", b.ID()), roomsJSON(c.ID(), b.ID()))
		c.Ack("room-message", map[string]any{"room": b.ID(), "text": "psst"})
		expectArgs(t, c.Expect("new-message"), `{"room":"`+b.ID()+`","text":"psst","userId":"carol"}`)
		b.Sync()
		expectCount(t, b, "new-message", 1)
	})

	t.Run("namespace /chat", func(t *testing.T) {
		x, y, z := connect(t, "/chat", "xavier"), connect(t, "/chat", "yvonne"), connect(t, "/", "zed")
		expectArgs(t, x.Ack("message", map[string]any{"text": "hey<script>x()</script>", "id": "spoofed", "n": 1,
			"<b>k</b>": []any{"<i>v</i>", 2, nil, map[string]any{"deep": "<u>d</u>"}}}), `{"status":"received"}`)
		want := `{"id":"` + x.ID() + `","n":1,"text":"hey","k":["v",2,null,{"deep":"d"}]}`
		for _, p := range []peer{x, y} {
			expectArgs(t, p.Expect("new-message"), want)
		}
		z.Sync()
		expectCount(t, z, "new-message", 0)

		expectArgs(t, y.Ack("join-room", "r"), roomsJSON(y.ID(), "r"))
		expectArgs(t, x.Ack("join-room", "r"), roomsJSON(x.ID(), "r"))
		expectArgs(t, y.Expect("user-joined"), strconv.Quote(x.ID()))
		x.Sync()
		expectCount(t, x, "user-joined", 0)
	})

	t.Run("namespace /notifications", func(t *testing.T) {
		n1, n2 := connect(t, "/notifications", "nina"), connect(t, "/notifications", "nick")
		other := connect(t, "/", "otto")
		expectArgs(t, n1.Ack("subscribe", "news"), `{"status":"subscribed","channel":"news"}`)
		expectArgs(t, n2.Ack("subscribe", "sports"), `{"status":"subscribed","channel":"sports"}`)
		tok := app.token(t, "publisher")

		notify(t, app.URL, tok, `{"channel":"news","event":"breaking","data":{"title":"Go 2"}}`, http.StatusOK, `{"delivered":1}`)
		expectArgs(t, n1.Expect("breaking"), `{"title":"Go 2"}`)
		n2.Sync()
		expectCount(t, n2, "breaking", 0)
		other.Sync()
		expectCount(t, other, "breaking", 0)

		expectArgs(t, n2.Ack("subscribe", "news"), `{"status":"subscribed","channel":"news"}`)
		notify(t, app.URL, tok, `{"channel":"news","event":"score","data":[1,2]}`, http.StatusOK, `{"delivered":2}`)
		for _, p := range []peer{n1, n2} {
			expectArgs(t, p.Expect("score"), `[1,2]`)
		}
		expectArgs(t, n1.Ack("unsubscribe", "news"), `{"status":"unsubscribed","channel":"news"}`)
		notify(t, app.URL, tok, `{"channel":"news","event":"ping-all"}`, http.StatusOK, `{"delivered":1}`)
		if args := n2.Expect("ping-all"); len(args) != 0 {
			t.Errorf("an event without data came with %s", args)
		}
		notify(t, app.URL, tok, `{"channel":"nobody","event":"x","data":1}`, http.StatusOK, `{"delivered":0}`)
		// The publisher's strings are sanitized too, and event names have the safe form.
		notify(t, app.URL, tok, `{"channel":"sports","event":"html","data":{"t":"<b>x</b>","l":["<i>y</i>"]}}`, http.StatusOK, `{"delivered":1}`)
		expectArgs(t, n2.Expect("html"), `{"t":"x","l":["y"]}`)
		notify(t, app.URL, tok, `{"channel":"sports","event":"<b>","data":1}`, http.StatusBadRequest, "")
		n1.Sync()
		expectCount(t, n1, "ping-all", 0)
	})
}

// Helpers.

// signWith signs a token for user with a verifier of cfg.
func signWith(tb testing.TB, cfg auth.Config, user string) string {
	tb.Helper()
	j, err := auth.NewJWT(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := j.Sign(user, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// authConfigAt is the test verifier's configuration with a clock hours away.
func authConfigAt(hours int) auth.Config {
	return auth.Config{Secret: []byte(testSecret), Now: func() time.Time { return time.Now().Add(time.Duration(hours) * time.Hour) }}
}

// inAnHour is an exp claim an hour from now.
func inAnHour() int64 { return time.Now().Add(time.Hour).Unix() }

// mintToken signs claims with the test secret, as another issuer would.
func mintToken(tb testing.TB, m jwt.SigningMethod, claims jwt.MapClaims) string {
	tb.Helper()
	tok, err := jwt.NewWithClaims(m, claims).SignedString([]byte(testSecret))
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func devToken(tb testing.TB, url, user string) string {
	tb.Helper()
	resp, err := http.Get(url + "/dev/token?user=" + user)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var body DevToken
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.Token == "" {
		tb.Fatalf("GET /dev/token: %d %+v %v", resp.StatusCode, body, err)
	}
	return body.Token
}

// notify posts body to /notify with token and checks the answer.
func notify(tb testing.TB, url, token, body string, status int, want string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/notify", bytes.NewBufferString(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var got json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		tb.Fatalf("POST /notify %s: %d, body: %v", body, resp.StatusCode, err)
	}
	if resp.StatusCode != status {
		tb.Fatalf("POST /notify %s: %d %s, want %d", body, resp.StatusCode, got, status)
	}
	if want != "" {
		jsonEq(tb, got, want)
	}
}

// roomsJSON is the JSON of a join-room or leave-room acknowledgement.
func roomsJSON(rooms ...string) string {
	b, _ := json.Marshal(rooms)
	return string(b)
}

// expectArgs checks that args are exactly the JSON values want.
func expectArgs(tb testing.TB, args []json.RawMessage, want ...string) {
	tb.Helper()
	if len(args) != len(want) {
		tb.Fatalf("%d arguments %s, want %d: %s", len(args), args, len(want), want)
	}
	for i := range want {
		jsonEq(tb, args[i], want[i])
	}
}

// expectError checks that args hold one error body with code (and, for exception
// events, the event name).
func expectError(tb testing.TB, args []json.RawMessage, code, event string) {
	tb.Helper()
	if len(args) != 1 {
		tb.Fatalf("%d arguments %s, want one error body", len(args), args)
	}
	var body struct {
		Status, Code, Message, Event string
	}
	if err := json.Unmarshal(args[0], &body); err != nil {
		tb.Fatalf("error body %s: %v", args[0], err)
	}
	if body.Status != "error" || body.Code != code || body.Message == "" || body.Event != event {
		tb.Fatalf("error body %s, want status error, code %s, event %q", args[0], code, event)
	}
}

func expectCount(tb testing.TB, p peer, event string, n int) {
	tb.Helper()
	if got := p.Count(event); got != n {
		tb.Fatalf("socket %s received %d %q events, want %d", p.ID(), got, event, n)
	}
}

// jsonEq compares JSON values, not their spelling.
func jsonEq(tb testing.TB, got json.RawMessage, want string) {
	tb.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		tb.Fatalf("got %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		tb.Fatalf("want %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		tb.Fatalf("got  %s\nwant %s", got, want)
	}
}
