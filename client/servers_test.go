package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
	"github.com/sockgate/sockgate/payload"
)

// server is one server under test: sockgate in-process, or the Node reference server.
type server interface {
	// URL is the base URL, without namespace.
	URL() string
	// Kill stops the server abruptly: every connection drops and nothing listens.
	Kill(t *testing.T)
	// Restart listens again at the same address, with the same handlers.
	Restart(t *testing.T)
	// SilentURL returns the URL of a server whose Engine.IO connections advertise
	// pingInterval and pingTimeout of about 100ms each and never ping once the client
	// emitted "stop-pinging". It serves the websocket transport at least.
	SilentURL(t *testing.T) string
	// HeartbeatURL returns the URL of a server like this one that pings every 100ms and
	// waits 200ms for the pong.
	HeartbeatURL(t *testing.T) string
}

// target starts a server of one kind.
type target struct {
	name  string
	start func(t *testing.T) server
}

var targets = []target{
	{name: "sockgate", start: startGateway},
	{name: "node", start: startNode},
}

// ---- sockgate ----

type gatewayServer struct {
	srv  *gatewaytest.Server
	addr string
}

func startGateway(t *testing.T) server {
	g := &gatewayServer{}
	g.srv = gatewaytest.NewServer(t, gateway.Config{})
	g.addr = g.srv.Addr
	mirror(g.srv)
	return g
}

func (g *gatewayServer) URL() string     { return g.srv.URL }
func (g *gatewayServer) Kill(*testing.T) { g.srv.Close() }
func (g *gatewayServer) Restart(t *testing.T) {
	// The handlers are in place before the first reconnecting client gets in.
	g.srv = gatewaytest.NewUnstartedServer(t, gateway.Config{})
	mirror(g.srv)
	g.srv.StartAt(g.addr)
}

func (g *gatewayServer) SilentURL(t *testing.T) string { return startSilent(t) }

func (g *gatewayServer) HeartbeatURL(t *testing.T) string {
	srv := gatewaytest.NewServer(t, gateway.Config{PingInterval: 100 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	mirror(srv)
	return srv.URL
}

// mirror installs the handlers of interop/js/refserver.mjs on srv; see that file.
func mirror(srv *gatewaytest.Server) {
	for _, name := range []string{"/", "/chat"} {
		nsp, err := srv.Of(name)
		if err != nil {
			panic(err)
		}
		nsp.Use(func(_ context.Context, s *gateway.Socket) error {
			var auth struct {
				Token string `json:"token"`
			}
			_ = s.DecodeAuth(&auth)
			if auth.Token == "bad" {
				return &gateway.ConnectError{Message: "not authorized", Data: map[string]string{"reason": "bad token"}}
			}
			return nil
		})
		nsp.OnConnection(func(s *gateway.Socket) {
			hs := s.Handshake()
			_ = s.Emit("welcome", map[string]any{
				"nsp":    s.Namespace().Name(),
				"auth":   hs.Auth,
				"query":  hs.Query.Get("room"),
				"header": hs.Headers.Get("X-Test"),
			})
			s.On("echo", func(e *gateway.Event) {
				if e.WantsAck() {
					_ = e.Ack(e.Args)
				} else {
					_ = s.Emit("echo", e.Args)
				}
			})
			s.On("ask", func(e *gateway.Event) {
				args := e.Args
				go func() {
					ctx, cancel := context.WithTimeout(s.Context(), 5*time.Second)
					defer cancel()
					a, err := s.EmitWithAck(ctx, "question", args)
					if err != nil {
						_ = s.Emit("answer-error", err.Error())
						return
					}
					// Node's emitWithAck resolves with the first argument only.
					_ = s.Emit("answer", payload.NewArgs([]json.RawMessage{a.Raw(0)}, a.Attachments()))
				}()
			})
			s.On("hold", func(*gateway.Event) {})
			s.On("disconnect-me", func(*gateway.Event) { s.Disconnect() })
			s.On("drop-me", func(*gateway.Event) { srv.DropConnections() })
		})
	}
}

// startSilent starts a websocket-only Engine.IO server that advertises pingInterval and
// pingTimeout of 100ms, accepts every namespace, and never pings: the heartbeat check of
// the client must drop it. A sockgate server cannot be told to stop pinging, and the
// handshake would advertise any long interval it is given.
func startSilent(t *testing.T) string {
	var (
		mu    sync.Mutex
		conns []*websocket.Conn
	)
	up := websocket.Upgrader{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("transport") != "websocket" {
			http.Error(w, `{"code":3,"message":"Bad request"}`, http.StatusBadRequest)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		conns = append(conns, ws)
		mu.Unlock()
		defer ws.Close()
		open := `0{"sid":"silent","upgrades":[],"pingInterval":100,"pingTimeout":100,"maxPayload":1000000}`
		if ws.WriteMessage(websocket.TextMessage, []byte(open)) != nil {
			return
		}
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if bytes.HasPrefix(data, []byte("40")) {
				nsp := ""
				if len(data) > 2 && data[2] == '/' {
					nsp = strings.SplitN(string(data[2:]), ",", 2)[0] + ","
				}
				_ = ws.WriteMessage(websocket.TextMessage, []byte("40"+nsp+`{"sid":"s`+strconv.Itoa(len(data))+`"}`))
			}
		}
	}))
	t.Cleanup(func() {
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		hs.Close()
	})
	return hs.URL
}

// ---- Node ----

// interopEnv is set (as make test does) to make missing Node parts a failure.
const interopEnv = "SOCKGATE_INTEROP"

// nodeSetup returns the node binary and the interop folder, skipping the test when they
// are missing, or failing it when SOCKGATE_INTEROP asks for the interop tests.
func nodeSetup(t *testing.T) (node, dir string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "interop"))
	if err != nil {
		t.Fatal(err)
	}
	node, lookErr := exec.LookPath("node")
	_, statErr := os.Stat(filepath.Join(dir, "node_modules", "socket.io", "package.json"))
	if lookErr == nil && statErr == nil {
		return node, dir
	}
	msg := fmt.Sprintf("the Node reference server needs node and `npm ci` in %s (node: %v, socket.io: %v)", dir, lookErr, statErr)
	if v := os.Getenv(interopEnv); v != "" && v != "0" {
		t.Fatalf("%s=%s: %s", interopEnv, v, msg)
	}
	t.Skipf("%s; set %s=1 to make this a failure", msg, interopEnv)
	return "", ""
}

type nodeServer struct {
	node, dir string
	port      int
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	stderr    *bytes.Buffer
}

func startNode(t *testing.T) server {
	node, dir := nodeSetup(t)
	n := &nodeServer{node: node, dir: dir}
	n.start(t, 0)
	return n
}

// start launches refserver.mjs on port (0: any) with extra flags and waits for its
// "listening <port>" line. The process is killed by its pid in t.Cleanup.
func (n *nodeServer) start(t *testing.T, port int, flags ...string) {
	t.Helper()
	args := append([]string{filepath.Join("js", "refserver.mjs"), "--port", strconv.Itoa(port)}, flags...)
	cmd := exec.Command(n.node, args...)
	cmd.Dir = n.dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	ready := &readyWriter{ch: make(chan int, 1)}
	stderr := &bytes.Buffer{}
	cmd.Stdout = ready
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the Node reference server: %v", err)
	}
	n.cmd, n.stdin, n.stderr = cmd, stdin, stderr
	t.Cleanup(func() { n.stop() })
	select {
	case p := <-ready.ch:
		n.port = p
	case <-time.After(15 * time.Second):
		n.stop()
		t.Fatalf("the Node reference server did not print \"listening <port>\" within 15s; stderr:\n%s", stderr)
	}
}

// stop kills the process by its pid and reaps it; it is idempotent.
func (n *nodeServer) stop() {
	if n.cmd == nil {
		return
	}
	_ = n.stdin.Close()
	_ = n.cmd.Process.Kill()
	_ = n.cmd.Wait()
	n.cmd = nil
}

func (n *nodeServer) URL() string          { return "http://127.0.0.1:" + strconv.Itoa(n.port) }
func (n *nodeServer) Kill(*testing.T)      { n.stop() }
func (n *nodeServer) Restart(t *testing.T) { n.start(t, n.port) }

func (n *nodeServer) SilentURL(t *testing.T) string {
	s := &nodeServer{node: n.node, dir: n.dir}
	s.start(t, 0, "--ping-interval", "100", "--ping-timeout", "100")
	return s.URL()
}

func (n *nodeServer) HeartbeatURL(t *testing.T) string {
	s := &nodeServer{node: n.node, dir: n.dir}
	s.start(t, 0, "--ping-interval", "100", "--ping-timeout", "200")
	return s.URL()
}

// readyWriter watches the server's stdout for its "listening <port>" line.
type readyWriter struct {
	mu   sync.Mutex
	buf  []byte
	done bool
	ch   chan int
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	lines := bytes.Split(w.buf, []byte("\n"))
	for _, line := range lines[:len(lines)-1] { // the last piece is not a whole line yet
		if port, ok := strings.CutPrefix(string(line), "listening "); ok {
			if p, err := strconv.Atoi(strings.TrimSpace(port)); err == nil {
				w.done = true
				w.ch <- p
			}
		}
	}
	return len(p), nil
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count file descriptors: %v", err)
	}
	return len(ents)
}
