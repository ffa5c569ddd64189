package runner

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/bench/gen/gentest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// nodeModules finds npm packages holding socket.io and socket.io-client: the bench's own
// folder after `make bench`, else the interop folder that `make test` installs. With
// SOCKGATE_INTEROP set, anything missing fails the test; unset, the test is skipped.
func nodeModules(t *testing.T) (root, modules string) {
	t.Helper()
	need := func(format string, args ...any) {
		t.Helper()
		if v := os.Getenv("SOCKGATE_INTEROP"); v != "" && v != "0" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (set SOCKGATE_INTEROP=1 to make this a failure)", args...)
	}
	if _, err := exec.LookPath("node"); err != nil {
		need("node is not installed")
	}
	dir, _ := os.Getwd()
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if dir == filepath.Dir(dir) {
			t.Fatal("no go.mod above the test")
		}
	}
	for _, m := range []string{"bench/node/node_modules", "interop/node_modules"} {
		p := filepath.Join(dir, m)
		if _, err := os.Stat(filepath.Join(p, "socket.io-client")); err == nil {
			return dir, p
		}
	}
	need("no npm packages: run npm ci in interop/ or bench/node/")
	return "", ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startNode starts the socket.io bench server and waits for its listening line.
func startNode(t *testing.T, root, modules string) string {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command("node", "--expose-gc", filepath.Join(root, "bench/node/server.js"), "--port", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if !sent && strings.Contains(sc.Text(), "socket.io bench server on") {
				ready <- nil
				sent = true
			}
		}
		if !sent {
			ready <- fmt.Errorf("server.js exited before listening")
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server.js did not start in 15s")
	}
	return "127.0.0.1:" + strconv.Itoa(port)
}

// TestNodeServer runs every generator scenario, scaled down, against the socket.io
// bench server: the generator speaks socket.io's protocol, not only sockgate's.
func TestNodeServer(t *testing.T) {
	root, modules := nodeModules(t)
	gentest.Run(t, startNode(t, root, modules))
}

// TestOfficialClient runs the check client against the socket.io bench server and reads
// its results as the runner does.
func TestOfficialClient(t *testing.T) {
	root, modules := nodeModules(t)
	addr := startNode(t, root, modules)
	r := &runner{o: Options{Logs: t.TempDir()}, logw: testWriter{t}}
	for _, args := range [][]string{
		{"--scenario", "idle", "--steps", "5,10", "--settle", "10"},
		{"--scenario", "ack", "--clients", "3", "--rate", "100", "--seconds", "0.3"},
		{"--scenario", "bcast", "--room", "5", "--rate", "100", "--seconds", "0.3"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(root, "bench/node/client.js"), "--url", "http://" + addr}, args...)...)
		cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
		res, err := r.collect(cmd, "client "+args[1])
		cancel()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if len(res) == 0 {
			t.Fatalf("%v: no results", args)
		}
		last := res[len(res)-1]
		switch args[1] {
		case "idle":
			if last.Step != "slope" || last.Values["sessions"] != 10 {
				t.Errorf("idle: %+v", last)
			}
		case "ack":
			if last.Values["answered_pct"] != 100 || last.Latency == nil || last.Latency.Count != 30 {
				t.Errorf("ack: %+v %+v", last.Values, last.Latency)
			}
		case "bcast":
			if last.Values["delivered_pct"] != 100 {
				t.Errorf("bcast: %+v", last.Values)
			}
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
