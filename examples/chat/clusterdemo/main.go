// Command clusterdemo shows the chat example as a cluster (`make cluster`): it starts a
// redis-server on a free loopback port, three chat nodes on ports 3001, 3002 and 3003
// joined through it (REDIS_URL, the classic Redis adapter), and one client on each node's
// /chat namespace; a message sent through each node must reach the clients of all three.
// Everything it started is stopped, by pid, before it exits; the whole run is bounded by
// -timeout.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockgate/sockgate/client"
)

func main() {
	timeout := flag.Duration("timeout", 60*time.Second, "bound of the whole run")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

// procs are the processes started, stopped in reverse order.
type procs []*exec.Cmd

func (ps *procs) start(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	*ps = append(*ps, cmd)
	return nil
}

func (ps procs) stop() {
	for i := len(ps) - 1; i >= 0; i-- {
		_ = ps[i].Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = ps[i].Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = ps[i].Process.Kill()
			<-done
		}
	}
}

func run(ctx context.Context) error {
	tmp, err := os.MkdirTemp("", "sockgate-cluster-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var ps procs
	defer func() { ps.stop() }() // ps grows below

	fmt.Println("building examples/chat ...")
	bin := filepath.Join(tmp, "chat")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/chat").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	redis := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp)
	ready, err := watch(redis, "Ready to accept connections")
	if err != nil {
		return err
	}
	if err := ps.start(redis); err != nil {
		return fmt.Errorf("starting redis-server (apt-get install redis-server): %w", err)
	}
	if err := waitChan(ctx, ready, "redis-server"); err != nil {
		return err
	}
	redisURL := fmt.Sprintf("redis://127.0.0.1:%d", port)
	fmt.Println("redis-server on", redisURL)

	ports := []int{3001, 3002, 3003}
	for _, p := range ports {
		node := exec.Command(bin)
		node.Env = append(os.Environ(), "PORT="+strconv.Itoa(p), "REDIS_URL="+redisURL, "CHAT_DEV=1")
		node.Stderr = prefixed(fmt.Sprintf("[chat :%d] ", p))
		if err := ps.start(node); err != nil {
			return err
		}
	}
	type member struct {
		port int
		s    *client.Socket
		got  chan string
	}
	var members []*member
	for _, p := range ports {
		base := fmt.Sprintf("http://127.0.0.1:%d", p)
		tok, err := token(ctx, base, fmt.Sprintf("user%d", p))
		if err != nil {
			return err
		}
		m := &member{port: p, got: make(chan string, 16)}
		mgr, err := client.New(base, client.Options{Auth: map[string]string{"token": tok}})
		if err != nil {
			return err
		}
		defer mgr.Close()
		s, err := mgr.Socket("/chat")
		if err != nil {
			return err
		}
		s.On("new-message", func(e *client.Event) {
			var msg map[string]any
			_ = e.Args.Decode(0, &msg)
			text, _ := msg["text"].(string)
			m.got <- text
		})
		if err := s.Connect(ctx); err != nil {
			return fmt.Errorf("client on :%d: %w", p, err)
		}
		m.s = s
		members = append(members, m)
		fmt.Printf("client connected to :%d as %s\n", p, s.ID())
	}
	for _, from := range members {
		text := fmt.Sprintf("hello through :%d", from.port)
		if _, err := from.s.EmitWithAck(ctx, "message", map[string]string{"text": text}); err != nil {
			return fmt.Errorf("sending through :%d: %w", from.port, err)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(members))
		for i, m := range members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case got := <-m.got:
					if got != text {
						errs[i] = fmt.Errorf("client on :%d got %q, want %q", m.port, got, text)
					}
				case <-ctx.Done():
					errs[i] = fmt.Errorf("client on :%d: no message: %w", m.port, ctx.Err())
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		fmt.Printf("%q reached the clients on :3001, :3002 and :3003\n", text)
	}
	fmt.Println("ok: every message sent through one node reached the clients of all three")
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// watch returns a channel closed when the command prints line on stdout.
func watch(cmd *exec.Cmd, line string) (chan struct{}, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	ch := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		seen := false
		for sc.Scan() {
			if !seen && strings.Contains(sc.Text(), line) {
				seen = true
				close(ch)
			}
		}
	}()
	return ch, nil
}

func waitChan(ctx context.Context, ch chan struct{}, what string) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s not ready: %w", what, ctx.Err())
	}
}

// token asks a node for a development token, retrying until the node listens.
func token(ctx context.Context, base, user string) (string, error) {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/dev/token?user="+user, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var body struct {
				Token string `json:"token"`
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err == nil && body.Token != "" {
				return body.Token, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("node %s not serving: %v", base, err)
		case <-time.After(100 * time.Millisecond): // the node is starting; nothing to wait on
		}
	}
}

type prefixWriter struct{ prefix string }

func prefixed(p string) *prefixWriter { return &prefixWriter{prefix: p} }

func (w *prefixWriter) Write(b []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		fmt.Fprintln(os.Stderr, w.prefix+l)
	}
	return len(b), nil
}
