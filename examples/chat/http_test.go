package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

func TestSettingsFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Settings
		err  string
	}{
		{name: "defaults", want: Settings{Addr: ":3000", Secret: []byte(DevSecret), DevSecret: true, Dev: true, ClientBundle: DefaultClientBundle}},
		{name: "everything set", env: map[string]string{"PORT": "8080", "JWT_SECRET": "s3", "CHAT_DEV": "0", "CLIENT_URL": "https://chat.test/", "CHAT_CLIENT_JS": "/srv/io.js"},
			want: Settings{Addr: ":8080", Secret: []byte("s3"), ClientURL: "https://chat.test", ClientBundle: "/srv/io.js"}},
		{name: "dev with a secret", env: map[string]string{"JWT_SECRET": "s3"}, want: Settings{Addr: ":3000", Secret: []byte("s3"), Dev: true, ClientBundle: DefaultClientBundle}},
		{name: "production without a secret", env: map[string]string{"CHAT_DEV": "false"}, err: "JWT_SECRET must be set"},
		{name: "bad port", env: map[string]string{"PORT": "http"}, err: `PORT="http"`},
		{name: "port out of range", env: map[string]string{"PORT": "70000"}, err: `PORT="70000"`},
		{name: "bad CHAT_DEV", env: map[string]string{"CHAT_DEV": "maybe"}, err: `CHAT_DEV="maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SettingsFromEnv(func(k string) string { return tt.env[k] })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one mentioning %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Addr != tt.want.Addr || string(got.Secret) != string(tt.want.Secret) || got.DevSecret != tt.want.DevSecret ||
				got.Dev != tt.want.Dev || got.ClientURL != tt.want.ClientURL || got.ClientBundle != tt.want.ClientBundle {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestGatewayConfigCORS(t *testing.T) {
	if c := (Settings{Addr: ":1"}).GatewayConfig(); c.Addr != ":1" || c.CORSOrigins != nil {
		t.Fatalf("without CLIENT_URL: %+v", c)
	}
	if c := (Settings{ClientURL: "https://a.test"}).GatewayConfig(); len(c.CORSOrigins) != 1 || c.CORSOrigins[0] != "https://a.test" {
		t.Fatalf("with CLIENT_URL: %+v", c)
	}
}

func TestNotifyRefusals(t *testing.T) {
	app := startApp(t, nil)
	tok := app.token(t, "publisher")
	notify(t, app.URL, "", `{"channel":"news","event":"x"}`, http.StatusUnauthorized,
		`{"code":"unauthenticated","message":"Authentication required"}`)
	notify(t, app.URL, "not-a-token", `{"channel":"news","event":"x"}`, http.StatusUnauthorized,
		`{"code":"unauthenticated","message":"Invalid token"}`)
	expired := signWith(t, authConfigAt(-2), "publisher")
	notify(t, app.URL, expired, `{"channel":"news","event":"x"}`, http.StatusUnauthorized,
		`{"code":"unauthenticated","message":"Invalid token"}`)
	for _, body := range []string{
		`not json`,
		`{"channel":"news"}`,
		`{"event":"x"}`,
		`{"channel":"","event":"x"}`,
		`{"channel":"` + strings.Repeat("c", 129) + `","event":"x"}`,
		`{"channel":"news","event":"` + strings.Repeat("e", 129) + `"}`,
		`{"channel":"news","event":"connect"}`,
		`{"channel":"news","event":"disconnect"}`,
		`{"channel":["a"],"event":"x"}`,
		"{\"channel\":\"news\",\"event\":\"x\",\"data\":\"\xff\xfe\"}", // not UTF-8: relayed, it would close every websocket client
	} {
		notify(t, app.URL, tok, body, http.StatusBadRequest, "")
	}
	// A numeric channel is a name like any other.
	notify(t, app.URL, tok, `{"channel":42,"event":"x"}`, http.StatusOK, `{"delivered":0}`)

	resp, err := http.Get(app.URL + "/notify")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /notify: %d", resp.StatusCode)
	}
}

func TestDevToken(t *testing.T) {
	app := startApp(t, nil)
	tok := devToken(t, app.URL, "alice")
	id, err := app.JWT.Verify(tok)
	if err != nil || id.UserID != "alice" {
		t.Fatalf("token %v, %v", id, err)
	}
	for _, q := range []string{"", "?user=", "?user=" + strings.Repeat("u", 129), "?user=%3Cb%3Ex%3C%2Fb%3E", "?user=a%20b", "?user=a%26b", "?user=%22q%22"} {
		resp, err := http.Get(app.URL + "/dev/token" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /dev/token%s: %d", q, resp.StatusCode)
		}
	}

	prod := startApp(t, func(s *Settings) { s.Dev = false })
	resp, err := http.Get(prod.URL + "/dev/token?user=alice")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /dev/token with CHAT_DEV=0: %d", resp.StatusCode)
	}
}

func TestCORS(t *testing.T) {
	app := startApp(t, nil) // CLIENT_URL http://client.test
	do := func(method, path, origin string, header map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, app.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		method, path string
		header       map[string]string
	}{
		{http.MethodOptions, "/notify", map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}},
		{http.MethodGet, "/dev/token?user=a", nil},
		{http.MethodGet, "/socket.io/?EIO=4&transport=polling", nil},
	} {
		resp := do(tc.method, tc.path, "http://client.test", tc.header)
		if resp.StatusCode >= 300 {
			t.Errorf("%s %s: %d", tc.method, tc.path, resp.StatusCode)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "http://client.test" {
			t.Errorf("%s %s: Access-Control-Allow-Origin %q", tc.method, tc.path, got)
		}
		if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("%s %s: Access-Control-Allow-Credentials %q", tc.method, tc.path, got)
		}
		if tc.method == http.MethodOptions {
			if got := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(got, "authorization") {
				t.Errorf("preflight allows headers %q", got)
			}
		}
		resp = do(tc.method, tc.path, "http://elsewhere.test", tc.header)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("%s %s from another origin: Access-Control-Allow-Origin %q", tc.method, tc.path, got)
		}
	}

	// Websockets have no CORS: the server checks the Origin itself.
	wsURL := "ws" + strings.TrimPrefix(app.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	ws, _, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {"http://client.test"}})
	if err != nil {
		t.Fatalf("websocket from the client's origin: %v", err)
	}
	_, open, err := ws.ReadMessage()
	ws.Close()
	if err != nil || !strings.HasPrefix(string(open), "0{") {
		t.Fatalf("open packet %q, %v", open, err)
	}
	var sess map[string]any
	if err := json.Unmarshal(open[1:], &sess); err != nil || sess["sid"] == nil {
		t.Fatalf("open packet %q", open)
	}
	if ws, _, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {"http://elsewhere.test"}}); err == nil {
		ws.Close()
		t.Fatal("websocket from another origin accepted")
	}
}
