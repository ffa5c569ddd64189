package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/sockgate/sockgate/interop/interoptest"
)

// chromiumPath is the Debian package's browser, which make test installs when missing.
const chromiumPath = "/usr/bin/chromium"

// need skips the test when a real part is missing, or fails it when SOCKGATE_INTEROP asks
// for the real parts.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if interoptest.Enabled() {
		t.Fatalf("%s=1 but %s: %v", interoptest.EnvVar, what, err)
	}
	t.Skipf("%s: %v", what, err)
}

// TestWebPageTypes checks the page's script with tsc against the generated
// sockgate-events.ts: a wrong event name or payload field is a type error.
func TestWebPageTypes(t *testing.T) {
	tsc, err := filepath.Abs("web/node_modules/.bin/tsc")
	need(t, "typescript is not installed in examples/chat/web (npm ci there)", statErr(tsc))
	node, err := exec.LookPath("node")
	need(t, "node is not installed", err)
	client, _ := filepath.Abs("web/node_modules/socket.io-client/build/esm/index.d.ts")
	dir := t.TempDir()
	page := string(indexHTML)
	start, end := strings.LastIndex(page, "<script>"), strings.LastIndex(page, "</script>")
	if start < 0 || end < start {
		t.Fatal("no inline script in the page")
	}
	events, err := os.ReadFile("web/sockgate-events.ts")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"page.js":            page[start+len("<script>") : end],
		"sockgate-events.ts": string(events),
		// The page gets io from the bundle's <script> tag.
		"globals.d.ts": `declare const io: typeof import("socket.io-client").io;` + "\n",
		"tsconfig.json": fmt.Sprintf(`{"compilerOptions": {"allowJs": true, "checkJs": true, "noEmit": true,
			"strict": true, "target": "es2022", "module": "esnext", "moduleResolution": "bundler",
			"lib": ["es2022", "dom", "dom.iterable"], "types": [], "skipLibCheck": true,
			"paths": {"socket.io-client": [%q]}}, "files": ["page.js", "globals.d.ts"]}`, client),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(node, tsc, "-p", filepath.Join(dir, "tsconfig.json")).CombinedOutput()
	if err != nil {
		t.Fatalf("tsc: %v\n%s", err, out)
	}
}

func statErr(path string) error {
	_, err := os.Stat(path)
	return err
}

// TestBrowser runs web/browser.test.mjs: two users in headless Chromium chat, type, use
// rooms, get the server's validation and rate-limit errors, go offline, lose and recover a
// connection, and live through a restart
// of the server. It also writes the README's screenshot, docs/chat.png.
func TestBrowser(t *testing.T) {
	node, err := exec.LookPath("node")
	need(t, "node is not installed", err)
	need(t, "chromium is not installed (apt-get install chromium)", statErr(chromiumPath))
	need(t, "playwright-core is not installed in examples/chat/web (npm ci there)",
		statErr("web/node_modules/playwright-core/package.json"))
	bundle, _ := filepath.Abs(filepath.Join("..", "..", DefaultClientBundle))
	need(t, "the socket.io-client bundle is missing (npm ci in interop/)", statErr(bundle))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	settings := Settings{Addr: addr, Secret: []byte(testSecret), Dev: true, ClientBundle: bundle}
	srv := &restartable{t: t, settings: settings}
	if err := srv.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.stop() })
	ctl := httptest.NewServer(srv)
	t.Cleanup(ctl.Close)

	outDir, _ := filepath.Abs("web/test-output")
	shot, _ := filepath.Abs(filepath.Join("..", "..", "docs", "chat.png"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "browser.test.mjs")
	cmd.Dir = "web"
	cmd.Env = append(os.Environ(), "CHAT_URL=http://"+addr, "CONTROL_URL="+ctl.URL,
		"CHROMIUM="+chromiumPath, "OUT_DIR="+outDir, "SCREENSHOT="+shot)
	// On timeout the script gets SIGTERM, so that it closes the browser it started.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("browser test: %v\n%s", err, out.String())
	}
	t.Log(strings.TrimSpace(out.String()))
}

// restartable is the chat application on a fixed address, stopped and started again by
// POST /stop and POST /start, as a redeploy would.
type restartable struct {
	t        *testing.T
	settings Settings

	mu  sync.Mutex
	app *fx.App
}

func (r *restartable) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var err error
	switch {
	case req.Method != http.MethodPost:
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	case req.URL.Path == "/stop":
		err = r.stop()
	case req.URL.Path == "/start":
		err = r.start()
	default:
		http.NotFound(w, req)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func (r *restartable) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.app != nil {
		return fmt.Errorf("already running")
	}
	app := fx.New(App(r.settings, slog.New(slog.NewTextHandler(io.Discard, nil))), fx.NopLogger)
	if err := app.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		return err
	}
	r.app = app
	return nil
}

func (r *restartable) stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.app == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := r.app.Stop(ctx)
	r.app = nil
	return err
}
