// Package redistest starts real redis-server processes for tests: one server on a free
// loopback port, or a Redis Cluster of three masters. Each process is stopped, by its
// pid, when the test ends.
//
// When redis-server is not installed the test is skipped, unless SOCKGATE_INTEROP is set
// (as `make test` does): then it fails.
package redistest

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

	goredis "github.com/redis/go-redis/v9"
)

// Server is one redis-server process.
type Server struct {
	tb   testing.TB
	bin  string
	dir  string
	args []string
	Port int
	cmd  *exec.Cmd
	done chan struct{}
}

// Addr returns host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL returns the redis:// URL of the server.
func (s *Server) URL() string { return "redis://" + s.Addr() }

func binary(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if v := os.Getenv("SOCKGATE_INTEROP"); v != "" && v != "0" {
			tb.Fatalf("redistest: SOCKGATE_INTEROP is set but %s is not installed (`make test` installs it with apt-get)", name)
		}
		tb.Skipf("redistest: %s is not installed; set SOCKGATE_INTEROP=1 to make this a failure", name)
	}
	return p
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Start starts redis-server on a free port with no persistence; extra are more
// command-line options. It returns once the server answers PING.
func Start(tb testing.TB, extra ...string) *Server {
	tb.Helper()
	s := &Server{tb: tb, bin: binary(tb, "redis-server"), dir: tb.TempDir(), Port: FreePort(tb), args: extra}
	s.start()
	tb.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.tb.Helper()
	args := []string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--protected-mode", "no"}
	args = append(args, s.args...)
	s.cmd = exec.Command(s.bin, args...)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		s.tb.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatalf("redistest: starting redis-server: %v", err)
	}
	s.done = make(chan struct{})
	ready := make(chan struct{})
	logs := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(out)
		once := false
		for sc.Scan() {
			line := sc.Text()
			select {
			case logs <- line:
			default:
			}
			if !once && strings.Contains(line, "Ready to accept connections") {
				once = true
				close(ready)
			}
		}
		_ = s.cmd.Wait()
		close(s.done)
	}()
	select {
	case <-ready:
	case <-s.done:
		s.tb.Fatalf("redistest: redis-server on port %d exited at start:\n%s", s.Port, drain(logs))
	case <-time.After(10 * time.Second):
		s.tb.Fatalf("redistest: redis-server on port %d not ready after 10s:\n%s", s.Port, drain(logs))
	}
}

func drain(ch chan string) string {
	var b strings.Builder
	for {
		select {
		case l := <-ch:
			b.WriteString(l + "\n")
		default:
			return b.String()
		}
	}
}

// Stop kills the server and waits for it. It may be called more than once.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Restart stops the server and starts it again on the same port (with empty data).
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	s.start()
}

// Client returns a go-redis client of the server, closed at the end of the test.
func (s *Server) Client() *goredis.Client {
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr()})
	s.tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Cluster is a Redis Cluster of three masters without replicas.
type Cluster struct {
	Nodes []*Server
}

// Addrs returns the masters' host:port.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr()
	}
	return out
}

// StartCluster starts three cluster-enabled redis-server processes and joins them with
// `redis-cli --cluster create`. It returns once every slot is served.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	cli := binary(tb, "redis-cli")
	c := &Cluster{}
	for i := 0; i < 3; i++ {
		dir := tb.TempDir()
		c.Nodes = append(c.Nodes, Start(tb, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--cluster-node-timeout", "2000"))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs()})
	defer cc.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		for _, n := range c.Nodes {
			cl := goredis.NewClient(&goredis.Options{Addr: n.Addr()})
			info, err := cl.ClusterInfo(context.Background()).Result()
			_ = cl.Close()
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				ok = false
			}
		}
		if ok {
			return c
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: cluster not ready after 20s")
		}
		time.Sleep(100 * time.Millisecond) // polling the cluster state: Redis has no event for it
	}
}

// String describes the cluster.
func (c *Cluster) String() string { return fmt.Sprint(c.Addrs()) }
