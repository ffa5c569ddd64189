package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sockgate/sockgate/bench/gen"
	"github.com/sockgate/sockgate/bench/procfs"
)

// Run runs every repetition, scenario and target, then the generator check, appending
// the results to o.Results and writing the report to o.Out. Progress goes to logw.
func Run(ctx context.Context, o Options, logw io.Writer) error {
	r := &runner{o: o, logw: logw, runID: time.Now().UTC().Format("20060102T150405Z")}
	return r.run(ctx)
}

type runner struct {
	o     Options
	logw  io.Writer
	runID string
	seq   int // runs so far: picks the port and the source block
	self  string
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.logw, "[%s] "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func (r *runner) run(ctx context.Context) error {
	o := r.o
	if err := r.check(); err != nil {
		return err
	}
	for _, d := range []string{filepath.Dir(o.Results), filepath.Dir(o.Out), o.Logs, o.Profile} {
		if d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("runner: %w", err)
			}
		}
	}
	quiet := true
	if o.QuietLoad > 0 {
		quiet = waitQuiet(ctx, o.QuietLoad, o.QuietWait, r.logf)
	}
	info := describe(ctx, o)
	info.Quiet = quiet
	sys0, _ := procfs.ReadSystem()
	start := time.Now()
	if err := appendRecords(o.Results, Record{Kind: KindRun, RunID: r.runID, Time: start, Info: info, Quick: o.Quick}); err != nil {
		return err
	}
	r.logf("run %s: %d repetitions of %v on %v (quick=%v), load %s", r.runID, o.Reps, o.Scenarios, o.Targets, o.Quick, info.LoadBefore)
	for rep := 0; rep < o.Reps; rep++ {
		for _, scen := range o.Scenarios {
			for _, target := range rotate(o.Targets, rep) {
				if err := ctx.Err(); err != nil {
					return err
				}
				if !supports(target, scen) {
					continue
				}
				recs := r.runOne(ctx, rep, target, scen)
				if err := appendRecords(o.Results, recs...); err != nil {
					return err
				}
			}
		}
		r.logf("repetition %d done at %v", rep+1, time.Since(start).Round(time.Second))
	}
	if o.Check {
		targets := o.Targets
		if o.Quick && slices.Contains(targets, TargetSockgate) {
			targets = []string{TargetSockgate} // a smoke test of the check itself
		}
		for _, target := range targets {
			if err := ctx.Err(); err != nil {
				return err
			}
			if target == TargetFeatures {
				continue // the same server as sockgate's
			}
			if err := appendRecords(o.Results, r.validate(ctx, target)...); err != nil {
				return err
			}
		}
	}
	sys1, _ := procfs.ReadSystem()
	end := Record{Kind: KindEnd, RunID: r.runID, Time: time.Now(), Elapsed: time.Since(start).Seconds(),
		Info: &Machine{StealPct: 100 * procfs.StealFraction(sys0, sys1)}}
	if err := appendRecords(o.Results, end); err != nil {
		return err
	}
	r.logf("run done in %v", time.Since(start).Round(time.Second))
	return WriteReport(o.Results, o.Out, o.Notes)
}

// supports reports whether target serves scenario: the limit server answers a polling
// handshake and an upgrade, but keeps no session on polling; sockgate with its features
// on is measured idle only.
func supports(target, scenario string) bool {
	switch target {
	case TargetLimit:
		return !slices.Contains(gen.PollingScenarios, scenario)
	case TargetFeatures:
		return scenario == gen.ScenarioIdle
	}
	return true
}

// check fails early when a binary or the npm packages are missing.
func (r *runner) check() error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	r.self = self
	var missing []string
	for _, t := range r.o.Targets {
		switch t {
		case TargetSockgate, TargetLimit, TargetZishang, TargetFeatures:
			bin := t
			if t == TargetFeatures {
				bin = TargetSockgate
			}
			if _, err := os.Stat(filepath.Join(r.o.Bin, bin)); err != nil {
				missing = append(missing, filepath.Join(r.o.Bin, bin))
			}
		case TargetNode:
			if _, err := os.Stat(filepath.Join(r.o.NodeDir, "node_modules", "socket.io")); err != nil {
				missing = append(missing, filepath.Join(r.o.NodeDir, "node_modules")+" (run npm ci there)")
			}
		}
	}
	for _, tool := range []string{"taskset", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("runner: missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// slot returns the next run's port and source addresses: a block of eight addresses
// never used before in this run, so that no TIME_WAIT of an earlier run is in the way.
func (r *runner) slot() (port int, src string) {
	n := r.seq
	r.seq++
	port = r.o.PortBase + n%1000
	a, b := 1+n/250, n%250
	src = fmt.Sprintf("127.%d.%d.1-127.%d.%d.8", a, b, a, b)
	return port, src
}

// server is a started target process.
type server struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
	log  *os.File
}

func (r *runner) startServer(ctx context.Context, target string, port int, profileBase string) (*server, error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var argv []string
	switch target {
	case TargetSockgate, TargetFeatures:
		argv = []string{filepath.Join(r.o.Bin, "sockgate"), "-addr", addr}
		if target == TargetFeatures {
			argv = append(argv, featureFlags...)
		}
		if profileBase != "" {
			argv = append(argv, "-cpuprofile", profileBase+".cpu.pprof", "-memprofile", profileBase+".heap.pprof")
		}
	case TargetLimit:
		argv = []string{filepath.Join(r.o.Bin, "limit"), "-addr", addr}
	case TargetZishang:
		argv = []string{filepath.Join(r.o.Bin, "zishang"), "-addr", addr}
	case TargetNode:
		argv = []string{"node", "--expose-gc", filepath.Join(r.o.NodeDir, "server.js"), "--port", strconv.Itoa(port)}
	}
	logf, err := os.Create(filepath.Join(r.o.Logs, fmt.Sprintf("%03d-%s.server.log", r.seq, target)))
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	// taskset execs the server: the child's pid is the server's.
	cmd := exec.Command("taskset", append([]string{"-c", r.o.ServerCPU}, argv...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("runner: start %s: %w", target, err)
	}
	s := &server{cmd: cmd, addr: addr, done: make(chan struct{}), log: logf}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx); err != nil {
		s.stop()
		return nil, fmt.Errorf("runner: %s did not come up: %w", target, err)
	}
	return s, nil
}

// waitReady polls the admin endpoint until it answers.
func (s *server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
			resp, err := http.Get("http://" + s.addr + "/__bench/mem")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return nil
				}
			}
		}
		select {
		case <-s.done:
			return errors.New("the process exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("no answer in 15s")
		}
	}
}

// stop ends the server: SIGTERM, then SIGKILL after 10 s.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.log.Close()
}

// runOne runs one scenario against one fresh server process.
func (r *runner) runOne(ctx context.Context, rep int, target, scen string) []Record {
	port, src := r.slot()
	base := Record{RunID: r.runID, Rep: rep, Target: target, Scenario: scen}
	fail := func(err error) []Record {
		r.logf("rep %d %s %s: FAILED: %v", rep+1, scen, target, err)
		f := base
		f.Kind, f.Time, f.Error = KindFailure, time.Now(), err.Error()
		return []Record{f}
	}
	profile := ""
	if r.o.Profile != "" && target == TargetSockgate {
		profile = filepath.Join(r.o.Profile, fmt.Sprintf("%s-rep%d", scen, rep+1))
	}
	srv, err := r.startServer(ctx, target, port, profile)
	if err != nil {
		return fail(err)
	}
	defer srv.stop()
	args := []string{"-scenario", scen, "-addr", srv.addr, "-src", src, "-pid", strconv.Itoa(srv.cmd.Process.Pid)}
	if r.o.Quick {
		args = append(args, "-quick")
	}
	args = append(args, r.o.GenArgs...)
	start := time.Now()
	results, err := r.gen(ctx, fmt.Sprintf("%s %s", scen, target), args)
	if err != nil {
		return fail(err)
	}
	r.logf("rep %d %s %s: %d results in %v", rep+1, scen, target, len(results), time.Since(start).Round(100*time.Millisecond))
	out := make([]Record, 0, len(results))
	for i := range results {
		rec := base
		rec.Kind, rec.Time, rec.Result = KindResult, time.Now(), &results[i]
		out = append(out, rec)
	}
	return out
}

// gen runs the generator pinned to its core and returns its results.
func (r *runner) gen(ctx context.Context, label string, args []string) ([]gen.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.RunLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", r.o.GenCPU, r.self, "gen"}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	return r.collect(cmd, label)
}

// collect runs cmd, relays its stderr to the log, and parses its stdout as results.
func (r *runner) collect(cmd *exec.Cmd, label string) ([]gen.Result, error) {
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	logf, err := os.Create(filepath.Join(r.o.Logs, fmt.Sprintf("%03d-%s.gen.log", r.seq, strings.ReplaceAll(label, " ", "-"))))
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	defer logf.Close()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("runner: start generator: %w", err)
	}
	var wg sync.WaitGroup
	var tail []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			fmt.Fprintf(r.logw, "    %s | %s\n", label, line)
			if tail = append(tail, line); len(tail) > 5 {
				tail = tail[1:]
			}
		}
	}()
	wg.Wait()
	werr := cmd.Wait()
	var results []gen.Result
	dec := json.NewDecoder(&stdout)
	for {
		var res gen.Result
		if err := dec.Decode(&res); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("runner: generator output: %w", err)
		}
		results = append(results, res)
	}
	if werr != nil {
		return results, fmt.Errorf("generator: %w (%s)", werr, strings.Join(tail, " / "))
	}
	return results, nil
}
