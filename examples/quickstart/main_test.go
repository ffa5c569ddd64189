package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/fx"
	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/interop/interoptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The README shows these files; it must show them as they are.
func TestREADMEShowsTheseFiles(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for file, lang := range map[string]string{"main.go": "go", "client.mjs": "js"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "```"+lang+"\n"+string(src)+"```") {
			t.Errorf("README.md's quickstart differs from examples/quickstart/%s: copy the file into the README", file)
		}
	}
}

func TestAddrHonoursPORT(t *testing.T) {
	for port, want := range map[string]string{"": ":3000", "8080": ":8080"} {
		if got := Addr(func(string) string { return port }); got != want {
			t.Errorf("PORT=%q: Addr = %q, want %q", port, got, want)
		}
	}
}

// startApp starts the quickstart application on a free port and returns its URL.
func startApp(t *testing.T) string {
	t.Helper()
	var lis *di.Listener
	app := fx.New(App(gateway.Config{Addr: "127.0.0.1:0"}), fx.NopLogger, fx.Populate(&lis))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return lis.URL()
}

// The README's client snippet, run with node against the quickstart server.
func TestClientSnippet(t *testing.T) {
	if !interoptest.Enabled() {
		t.Skipf("needs node and socket.io-client; set %s=1", interoptest.EnvVar)
	}
	interop, err := interoptest.Dir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(interop, "node_modules", "socket.io-client")); err != nil {
		t.Fatalf("socket.io-client is not installed (run npm ci in interop/): %v", err)
	}
	src, err := os.ReadFile("client.mjs")
	if err != nil {
		t.Fatal(err)
	}
	// ES modules resolve packages from their own folder: run a copy beside a link to
	// the interop packages.
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(interop, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "client.mjs")
	if err := os.WriteFile(script, src, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(), "SERVER_URL="+startApp(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node client.mjs: %v\n%s", err, out)
	}
	if got, want := string(out), "hello world\n{ status: 'received' }\n"; got != want {
		t.Fatalf("node client.mjs printed %q, want %q", got, want)
	}
}

func TestQuickstartRuns(t *testing.T) {
	url := "ws" + strings.TrimPrefix(startApp(t), "http") + "/socket.io/?EIO=4&transport=websocket"
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
