package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/fx"
	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The README shows this program; it must show it as it is.
func TestREADMEShowsThisFile(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(src)+"```") {
		t.Fatal("README.md's quickstart differs from examples/quickstart/main.go: copy the file into the README")
	}
}

func TestQuickstartRuns(t *testing.T) {
	var lis *di.Listener
	app := fx.New(App(gateway.Config{Addr: "127.0.0.1:0"}), fx.NopLogger, fx.Populate(&lis))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := app.Stop(ctx); err != nil {
			t.Error(err)
		}
	}()
	url := "ws" + strings.TrimPrefix(lis.URL(), "http") + "/socket.io/?EIO=4&transport=websocket"
	dial := func() *websocket.Conn {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ws.Close() })
		return ws
	}
	read := func(ws *websocket.Conn) string {
		t.Helper()
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	expect := func(ws *websocket.Conn, want string) {
		t.Helper()
		if got := read(ws); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	send := func(ws *websocket.Conn, s string) {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	join := func() *websocket.Conn {
		ws := dial()
		read(ws) // open packet
		send(ws, "40")
		if got := read(ws); !strings.HasPrefix(got, `40{"sid":`) {
			t.Fatalf("CONNECT reply %q", got)
		}
		expect(ws, `42["hello","world"]`)
		return ws
	}
	alice, bob := join(), join()
	send(alice, `420["message",{"text":"hi"}]`)
	expect(alice, `430[{"status":"received"}]`)
	expect(bob, `42["message",{"text":"hi"}]`)
	send(alice, `421["message",{"text":""}]`)
	expect(alice, `431[{"status":"error","code":"invalid_argument","message":"text is required","details":[{"field":"text","rule":"required","message":"text is required"}]}]`)
	expect(alice, `42["exception",{"status":"error","code":"invalid_argument","message":"text is required","details":[{"field":"text","rule":"required","message":"text is required"}],"event":"message"}]`)
}
