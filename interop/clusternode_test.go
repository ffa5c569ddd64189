package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/interop/interoptest"
)

// nodeNode is a Node socket.io server on a Redis cluster (js/clusternode.mjs), driven
// over its stdin and stdout.
type nodeNode struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	port  int
	done  chan struct{}

	wmu sync.Mutex // serialises command lines

	// mu guards the fields below.
	mu      sync.Mutex
	nextID  int
	pending map[int]chan nodeResult
	sse     []json.RawMessage
	logs    []string
}

type nodeResult struct {
	Value json.RawMessage `json:"value"`
	Error *string         `json:"error"`
}

// startNodeNode starts the node; call interoptest.Start first, which checks that node and
// the npm packages are there.
func startNodeNode(t *testing.T, redisURL, kind, key, name string, extra ...string) *nodeNode {
	t.Helper()
	dir, err := interoptest.Dir()
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{filepath.Join(dir, "js", "clusternode.mjs"), "--redis", redisURL, "--adapter", kind,
		"--key", key, "--name", name, "--requests-timeout", "2000"}, extra...)
	n := &nodeNode{t: t, cmd: exec.Command("node", args...), pending: make(map[int]chan nodeResult), done: make(chan struct{})}
	n.cmd.Dir = dir
	n.stdin, err = n.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	n.cmd.Stderr = &stderr
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan int, 1)
	go func() {
		defer close(n.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var l struct {
				Type    string          `json:"type"`
				ID      int             `json:"id"`
				Port    int             `json:"port"`
				Args    json.RawMessage `json:"args"`
				Message string          `json:"message"`
				nodeResult
			}
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				continue
			}
			n.mu.Lock()
			switch l.Type {
			case "listening":
				listening <- l.Port
			case "result":
				if ch := n.pending[l.ID]; ch != nil {
					ch <- l.nodeResult
					delete(n.pending, l.ID)
				}
			case "sse":
				n.sse = append(n.sse, l.Args)
			case "log":
				n.logs = append(n.logs, l.Message)
			}
			n.mu.Unlock()
		}
		_ = n.cmd.Wait()
	}()
	t.Cleanup(n.stop)
	select {
	case n.port = <-listening:
	case <-n.done:
		t.Fatalf("cluster node exited: %s", stderr.String())
	case <-time.After(wait):
		t.Fatalf("cluster node not listening after %v: %s", wait, stderr.String())
	}
	return n
}

// stop ends the node: it closes its server and Redis clients and exits when its stdin
// closes (killed after 5 s).
func (n *nodeNode) stop() {
	_ = n.stdin.Close()
	select {
	case <-n.done:
	case <-time.After(5 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

func (n *nodeNode) url() string { return fmt.Sprintf("http://127.0.0.1:%d", n.port) }

// call runs op on the node and returns its value; a failed op fails the test.
func (n *nodeNode) call(op string, fields map[string]any) json.RawMessage {
	n.t.Helper()
	n.mu.Lock()
	n.nextID++
	id := n.nextID
	ch := make(chan nodeResult, 1)
	n.pending[id] = ch
	n.mu.Unlock()
	cmd := map[string]any{"id": id, "op": op}
	for k, v := range fields {
		cmd[k] = v
	}
	b, _ := json.Marshal(cmd)
	n.wmu.Lock()
	_, err := n.stdin.Write(append(b, '\n'))
	n.wmu.Unlock()
	if err != nil {
		n.t.Fatalf("node %s: %v", op, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			n.t.Fatalf("node %s: %s", op, *r.Error)
		}
		return r.Value
	case <-n.done:
		n.t.Fatalf("node exited during %s", op)
	case <-time.After(wait):
		n.t.Fatalf("node %s: no answer within %v", op, wait)
	}
	return nil
}

func (n *nodeNode) serverSideEmits() []json.RawMessage {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]json.RawMessage(nil), n.sse...)
}

// startGoNode starts a sockgate server with the adapter factory f and the handlers of the
// Node cluster node (js/clusternode.mjs) on "/" and "/chat".
func startGoNode(t *testing.T, cfg gateway.Config, f adapter.Factory, name string) (*gateway.Server, string) {
	t.Helper()
	srv, url, _ := startStoppableGoNode(t, cfg, f, name)
	return srv, url
}

// startStoppableGoNode is startGoNode with a stop function (also run at cleanup).
func startStoppableGoNode(t *testing.T, cfg gateway.Config, f adapter.Factory, name string) (*gateway.Server, string, func()) {
	t.Helper()
	srv, err := gateway.NewServer(cfg, gateway.WithLogger(slog.New(slog.DiscardHandler)), gateway.WithAdapter(f))
	if err != nil {
		t.Fatal(err)
	}
	for _, nsp := range []string{"/", "/chat"} {
		n := nsOf(srv, nsp)
		n.OnConnection(func(s *gateway.Socket) {
			s.Join("room1")
			s.SetData(map[string]string{"server": name})
			s.On("broadcast", func(e *gateway.Event) { _ = s.Broadcast().Emit("from-socket", e.Args) })
		})
		n.OnServerSideEmit("ping", func(args gateway.Args, reply func(any)) {
			if reply != nil {
				reply("pong-from-" + name)
			}
		})
	}
	hs := httptest.NewServer(srv)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = srv.Close()
			hs.Close()
		})
	}
	t.Cleanup(stop)
	return srv, hs.URL, stop
}

// waitFor polls cond until it holds or wait passes: the state it checks lives in other
// processes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// adapters remembers the adapter a factory built for each namespace.
type adapters struct {
	mu sync.Mutex
	m  map[string]adapter.Adapter
}

func (as *adapters) wrap(f adapter.Factory) adapter.Factory {
	return func(ns adapter.Namespace) (adapter.Adapter, error) {
		a, err := f(ns)
		if err == nil {
			as.mu.Lock()
			if as.m == nil {
				as.m = make(map[string]adapter.Adapter)
			}
			as.m[ns.Name()] = a
			as.mu.Unlock()
		}
		return a, err
	}
}

// reset forgets the adapters of a stopped node.
func (as *adapters) reset() {
	as.mu.Lock()
	as.m = nil
	as.mu.Unlock()
}

func (as *adapters) get(nsp string) adapter.Adapter {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.m[nsp]
}

// serverCount returns the Go node's count of nodes in namespace nsp (-1 on error).
func (as *adapters) serverCount(nsp string) int {
	a := as.get(nsp)
	if a == nil {
		return -1
	}
	n, err := a.ServerCount(context.Background())
	if err != nil {
		return -1
	}
	return n
}
