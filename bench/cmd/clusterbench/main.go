// Command clusterbench measures a broadcast to a room of 5,000 websocket sessions spread
// over three server nodes joined through Redis, with the load generator's broadcast
// ladder (package gen, scenario bcast): deliveries per second and their p99 latency from
// the scheduled send time. Targets:
//
//   - sockgate-cluster: three sockgate bench servers (bench/servers/sockgate -redis) with
//     the classic Redis adapter;
//   - node-cluster: three Node socket.io 4.8 bench servers (bench/node/server.js --redis)
//     with @socket.io/redis-adapter 8.3.0;
//   - sockgate-1, node-1: the same load on one node, without Redis.
//
// The sender is on the first node; the receivers are opened on the nodes in turn. Every
// process it starts (redis-server, servers) is stopped, by pid, after its target. Results
// are written as JSON lines to -out, and a summary table to stdout.
//
// Usage (after `make bench-cluster` built the binaries):
//
//	clusterbench -bin bench/out/bin -node bench/node [-targets ...] [-quick]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockgate/sockgate/bench/gen"
)

func main() {
	bin := flag.String("bin", "bench/out/bin", "folder of the sockgate bench server binary")
	nodeDir := flag.String("node", "bench/node", "folder of the Node bench server (npm ci done)")
	targets := flag.String("targets", "sockgate-cluster,node-cluster,sockgate-1,node-1", "targets, in order")
	quick := flag.Bool("quick", false, "fewer, shorter steps")
	room := flag.Int("room", 5000, "receivers")
	out := flag.String("out", "bench/out/cluster.jsonl", "JSON lines of every step")
	rates := flag.String("rates", "", "delivery rates per second, comma-separated (default: a ladder to 200k)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	o := gen.Defaults(*quick)
	o.Scenario = gen.ScenarioBcast
	o.Rooms = []int{*room}
	if *rates != "" {
		o.Rates = nil
		for _, r := range strings.Split(*rates, ",") {
			n, err := strconv.Atoi(r)
			if err != nil {
				fatal(fmt.Errorf("-rates: %w", err))
			}
			o.Rates = append(o.Rates, n)
		}
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fatal(err)
	}
	f, err := os.Create(*out)
	if err != nil {
		fatal(err)
	}
	defer f.Close()
	var summary []string
	for _, t := range strings.Split(*targets, ",") {
		line, err := runTarget(ctx, t, *bin, *nodeDir, o, f)
		if err != nil {
			fatal(fmt.Errorf("%s: %w", t, err))
		}
		summary = append(summary, line)
	}
	fmt.Println()
	fmt.Printf("| target | room | highest rate with p99 ≤ 100 ms and ≥ 99.9 %% delivered | p99 at 20k/s | p99 at 40k/s |\n|---|---|---|---|---|\n")
	for _, l := range summary {
		fmt.Println(l)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "clusterbench:", err)
	os.Exit(1)
}

// procs are the processes of one target, stopped in reverse order.
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

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits until addr accepts connections.
func waitListening(ctx context.Context, addr string) error {
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not listening: %w", addr, ctx.Err())
		case <-time.After(50 * time.Millisecond): // the server is starting: nothing to wait on
		}
	}
}

func runTarget(ctx context.Context, target, bin, nodeDir string, o gen.Options, results io.Writer) (string, error) {
	kind, nodes := target, 1
	if k, ok := strings.CutSuffix(target, "-cluster"); ok {
		kind, nodes = k, 3
	} else if k, ok := strings.CutSuffix(target, "-1"); ok {
		kind = k
	}
	if kind != "sockgate" && kind != "node" {
		return "", fmt.Errorf("unknown target")
	}
	var ps procs
	defer func() { ps.stop() }()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	redisURL := ""
	if nodes > 1 {
		port, err := freePort()
		if err != nil {
			return "", err
		}
		rs := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
		if err := ps.start(rs); err != nil {
			return "", fmt.Errorf("redis-server: %w", err)
		}
		if err := waitListening(tctx, "127.0.0.1:"+strconv.Itoa(port)); err != nil {
			return "", err
		}
		redisURL = "redis://127.0.0.1:" + strconv.Itoa(port)
	}
	var addrs []string
	for i := 0; i < nodes; i++ {
		port, err := freePort()
		if err != nil {
			return "", err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		var cmd *exec.Cmd
		if kind == "sockgate" {
			cmd = exec.Command(filepath.Join(bin, "sockgate"), "-addr", addr)
			if redisURL != "" {
				cmd.Args = append(cmd.Args, "-redis", redisURL)
			}
		} else {
			cmd = exec.Command("node", filepath.Join(nodeDir, "server.js"), "--port", strconv.Itoa(port))
			if redisURL != "" {
				cmd.Args = append(cmd.Args, "--redis", redisURL)
			}
		}
		cmd.Stderr = prefixed(fmt.Sprintf("[%s %d] ", target, i))
		if err := ps.start(cmd); err != nil {
			return "", err
		}
		addrs = append(addrs, addr)
	}
	for _, a := range addrs {
		if err := waitListening(tctx, a); err != nil {
			return "", err
		}
	}
	if redisURL != "" {
		// Every node subscribed: PUBSUB NUMSUB of the request channel counts them.
		rc := goredis.NewClient(&goredis.Options{Addr: strings.TrimPrefix(redisURL, "redis://")})
		defer rc.Close()
		for {
			m, err := rc.PubSubNumSub(tctx, "socket.io-request#/#").Result()
			if err == nil && m["socket.io-request#/#"] == int64(nodes) {
				break
			}
			select {
			case <-tctx.Done():
				return "", errors.New("the nodes did not all subscribe")
			case <-time.After(50 * time.Millisecond): // Redis has no event for it
			}
		}
	}
	o.Addr = strings.Join(addrs, ",")
	fmt.Fprintf(os.Stderr, "== %s: %d node(s) %v\n", target, nodes, addrs)
	pr, pw := io.Pipe()
	done := make(chan string, 1)
	go func() { done <- collect(pr, results, target) }()
	err := gen.Run(ctx, o, pw, os.Stderr)
	_ = pw.Close()
	line := <-done
	return line, err
}

// collect copies the generator's results, tagged with the target, and returns the
// summary row.
func collect(r io.Reader, w io.Writer, target string) string {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	row := "| " + target + " | ? | ? | ? | ? |"
	for sc.Scan() {
		var res map[string]any
		if json.Unmarshal(sc.Bytes(), &res) != nil {
			continue
		}
		res["target"] = target
		b, _ := json.Marshal(res)
		_, _ = w.Write(append(b, '\n'))
		step, _ := res["step"].(string)
		if !strings.HasSuffix(step, "summary") {
			continue
		}
		v, _ := res["values"].(map[string]any)
		num := func(k string) string {
			x, ok := v[k].(float64)
			switch {
			case !ok:
				return "–"
			case x >= 3.6e6: // the generator's cap: the step never completed
				return "over an hour"
			}
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		row = fmt.Sprintf("| %s | %s | %s/s | %s ms | %s ms |", target, num("room"), num("max_ok_rate"), num("p99_ms_at_20k"), num("p99_ms_at_40k"))
	}
	return row
}

type prefixWriter struct{ prefix string }

func prefixed(p string) *prefixWriter { return &prefixWriter{prefix: p} }

func (w *prefixWriter) Write(b []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		fmt.Fprintln(os.Stderr, w.prefix+l)
	}
	return len(b), nil
}
