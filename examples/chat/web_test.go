package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockgate/sockgate/interop/interoptest"
)

func get(tb testing.TB, url string) (*http.Response, string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, string(b)
}

func TestWebPage(t *testing.T) {
	bundle := filepath.Join(t.TempDir(), "socket.io.min.js")
	if err := os.WriteFile(bundle, []byte("/* bundle */ var io;"), 0o600); err != nil {
		t.Fatal(err)
	}
	app := startApp(t, func(s *Settings) { s.ClientBundle = bundle })

	resp, body := get(t, app.URL+"/")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<script src="/socket.io.min.js"></script>`, `io({ auth: { token } })`, "textContent"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	resp, body = get(t, app.URL+"/socket.io.min.js")
	if resp.StatusCode != http.StatusOK || body != "/* bundle */ var io;" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET /socket.io.min.js: %d %q %s", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	// Only the page is at the root; other paths are not found.
	if resp, _ := get(t, app.URL+"/index.html"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /index.html: %d", resp.StatusCode)
	}

	missing := startApp(t, func(s *Settings) { s.ClientBundle = filepath.Join(t.TempDir(), "nope.js") })
	resp, body = get(t, missing.URL+"/socket.io.min.js")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "npm ci") {
		t.Fatalf("missing bundle: %d %q", resp.StatusCode, body)
	}
}

// TestWebPageScriptParses checks the page's inline script with node; with
// SOCKGATE_INTEROP=1 a missing node fails the test.
func TestWebPageScriptParses(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if interoptest.Enabled() {
			t.Fatalf("%s=1 but node is not installed: %v", interoptest.EnvVar, err)
		}
		t.Skip("node is not installed")
	}
	page := string(indexHTML)
	start := strings.LastIndex(page, "<script>")
	end := strings.LastIndex(page, "</script>")
	if start < 0 || end < start {
		t.Fatal("no inline script in the page")
	}
	file := filepath.Join(t.TempDir(), "page.js")
	if err := os.WriteFile(file, []byte(page[start+len("<script>"):end]), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(node, "--check", file).CombinedOutput(); err != nil {
		t.Fatalf("node --check: %v\n%s", err, out)
	}
}

func TestStartMessage(t *testing.T) {
	s := Settings{ClientBundle: filepath.Join(t.TempDir(), "missing.js")}
	msg := startMessage("http://127.0.0.1:3000", s)
	for _, want := range []string{"open http://127.0.0.1:3000/ in two browser tabs", "?user=alice", "bundle " + s.ClientBundle + " is missing", "make run", "Ctrl-C"} {
		if !strings.Contains(msg, want) {
			t.Errorf("start message lacks %q:\n%s", want, msg)
		}
	}
	bundle := filepath.Join(t.TempDir(), "socket.io.min.js")
	if err := os.WriteFile(bundle, []byte("//"), 0o600); err != nil {
		t.Fatal(err)
	}
	if msg := startMessage("http://127.0.0.1:3000", Settings{ClientBundle: bundle}); strings.Contains(msg, "missing") {
		t.Errorf("bundle present, message says missing:\n%s", msg)
	}
}
