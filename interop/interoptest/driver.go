package interoptest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvVar turns the interop tests on. Set (to anything but "" or "0"), a missing node or
// missing npm packages fail the test; unset, tests calling Start are skipped, which keeps
// a plain `go test ./...` hermetic.
const EnvVar = "SOCKGATE_INTEROP"

// modulePath identifies the repository's go.mod when walking up from a test's directory.
const modulePath = "github.com/sockgate/sockgate"

// callTimeout bounds one command round trip; commands are answered at once by the driver
// (emitWithAck has its own timeout on top).
const callTimeout = 10 * time.Second

// Driver is a running Node process driving the official socket.io-client. Its methods are
// safe for concurrent use; methods taking or bound to a testing.TB must be called from
// that test's goroutine, since they may call FailNow.
type Driver struct {
	cmd    *exec.Cmd
	stderr *tailBuffer
	node   string // versions reported by the driver
	client string

	// wmu serialises command lines on stdin.
	wmu   sync.Mutex
	stdin io.WriteCloser

	readyCh chan struct{} // closed when the driver has said it is ready
	exited  chan struct{} // closed once the process is gone and stdout is drained
	exitErr error         // set before exited is closed

	stopOnce sync.Once

	// mu guards the fields below.
	mu       sync.Mutex
	nextID   int64
	pending  map[int64]chan result
	records  []*Record
	logs     []string
	changed  chan struct{} // closed and replaced whenever a record arrives
	sockets  int
	managers int
}

type result struct {
	Value json.RawMessage `json:"value"`
	Error *string         `json:"error"`
}

// line is one JSON line from the driver; Type says which fields are set.
type line struct {
	Type    string          `json:"type"`
	ID      int64           `json:"id"`
	Value   json.RawMessage `json:"value"`
	Error   *string         `json:"error"`
	Message string          `json:"message"`
	Node    string          `json:"node"`
	Client  string          `json:"client"`
	Record
}

// Enabled reports whether EnvVar asks for the interop tests.
func Enabled() bool {
	v := os.Getenv(EnvVar)
	return v != "" && v != "0"
}

// Start starts a driver process for tb and stops it, by its pid, in tb.Cleanup. It skips tb
// when EnvVar is unset and fails it when node or the npm packages are missing. Subtests
// may share one Driver: every Socket carries its own test.
func Start(tb testing.TB) *Driver {
	tb.Helper()
	if !Enabled() {
		tb.Skipf("interop tests against socket.io-client are off; set %s=1 (needs node and `npm ci` in interop/)", EnvVar)
	}
	dir, err := Dir()
	if err != nil {
		tb.Fatalf("interoptest: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Fatalf("interoptest: %s=1 but node is not installed: %v", EnvVar, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "socket.io-client", "package.json")); err != nil {
		tb.Fatalf("interoptest: %s=1 but socket.io-client is not installed (run `npm ci` in %s): %v", EnvVar, dir, err)
	}
	d, err := start(node, dir)
	if err != nil {
		tb.Fatalf("interoptest: %v", err)
	}
	tb.Cleanup(d.stop)
	select {
	case <-d.readyCh:
	case <-d.exited:
		tb.Fatalf("interoptest: driver exited before it was ready: %v\n%s", d.exitErr, d.diagnostics())
	case <-time.After(30 * time.Second):
		tb.Fatalf("interoptest: driver not ready after 30s\n%s", d.diagnostics())
	}
	return d
}

// Dir returns the repository's interop folder, found by walking up from the working
// directory to the module's go.mod.
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("locating the interop folder: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if isModuleRoot(filepath.Join(d, "go.mod")) {
			return filepath.Join(d, "interop"), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod of %s above %s", modulePath, wd)
		}
	}
}

func isModuleRoot(gomod string) bool {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == modulePath {
			return true
		}
	}
	return false
}

func start(node, dir string) (*Driver, error) {
	cmd := exec.Command(node, filepath.Join(dir, "js", "driver.mjs"))
	cmd.Dir = dir
	d := &Driver{
		cmd:     cmd,
		stderr:  &tailBuffer{max: 16 << 10},
		readyCh: make(chan struct{}),
		exited:  make(chan struct{}),
		pending: make(map[int64]chan result),
		changed: make(chan struct{}),
	}
	cmd.Stderr = d.stderr
	var err error
	if d.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("driver stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("driver stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the driver: %w", err)
	}
	go d.read(stdout)
	return d, nil
}

// read consumes stdout until the process ends, then reaps it. It is the only goroutine a
// Driver starts; stop waits for it.
func (d *Driver) read(stdout io.Reader) {
	r := bufio.NewReaderSize(stdout, 64<<10)
	for {
		b, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			d.dispatch(b)
		}
		if err != nil {
			break
		}
	}
	err := d.cmd.Wait()
	d.mu.Lock()
	d.exitErr = err
	if d.exitErr == nil {
		d.exitErr = errors.New("driver exited")
	}
	d.mu.Unlock()
	close(d.exited)
}

func (d *Driver) dispatch(b []byte) {
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		d.mu.Lock()
		d.logs = append(d.logs, "unparsable line: "+truncate(string(b), 300))
		d.mu.Unlock()
		return
	}
	switch l.Type {
	case "ready":
		d.node, d.client = l.Node, l.Client
		close(d.readyCh)
	case "result":
		d.mu.Lock()
		ch := d.pending[l.ID]
		delete(d.pending, l.ID)
		d.mu.Unlock()
		if ch != nil {
			ch <- result{Value: l.Value, Error: l.Error}
		}
	case "record":
		rec := l.Record
		d.mu.Lock()
		d.records = append(d.records, &rec)
		close(d.changed)
		d.changed = make(chan struct{})
		d.mu.Unlock()
	default:
		d.mu.Lock()
		d.logs = append(d.logs, l.Type+": "+l.Message)
		d.mu.Unlock()
	}
}

// stop ends the process: closing stdin asks the driver to close its clients and exit;
// one that does not is killed by its pid.
func (d *Driver) stop() {
	d.stopOnce.Do(func() {
		d.wmu.Lock()
		_ = d.stdin.Close()
		d.wmu.Unlock()
		select {
		case <-d.exited:
		case <-time.After(5 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	})
}

// Versions returns the versions of node and socket.io-client the driver runs.
func (d *Driver) Versions() (node, client string) { return d.node, d.client }

// call sends one command and waits for its result. A driver failure fails tb; an error
// the command itself reports is returned.
func (d *Driver) call(tb testing.TB, cmd map[string]any, wait time.Duration) (json.RawMessage, error) {
	tb.Helper()
	ch := make(chan result, 1)
	d.mu.Lock()
	d.nextID++
	id := d.nextID
	d.pending[id] = ch
	d.mu.Unlock()
	cmd["id"] = id
	b, err := json.Marshal(cmd)
	if err != nil {
		tb.Fatalf("interoptest: encoding command %v: %v", cmd["cmd"], err)
	}
	b = append(b, '\n')
	d.wmu.Lock()
	_, err = d.stdin.Write(b)
	d.wmu.Unlock()
	if err != nil {
		tb.Fatalf("interoptest: sending %v to the driver: %v\n%s", cmd["cmd"], err, d.diagnostics())
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return nil, errors.New(*r.Error)
		}
		return r.Value, nil
	case <-d.exited:
		tb.Fatalf("interoptest: driver exited during %v: %v\n%s", cmd["cmd"], d.exitErr, d.diagnostics())
	case <-time.After(wait):
		tb.Fatalf("interoptest: no answer to %v within %v\n%s", cmd["cmd"], wait, d.diagnostics())
	}
	return nil, nil
}

// mustCall is call for commands that only fail on misuse.
func (d *Driver) mustCall(tb testing.TB, cmd map[string]any) json.RawMessage {
	tb.Helper()
	v, err := d.call(tb, cmd, callTimeout)
	if err != nil {
		tb.Fatalf("interoptest: %v: %v", cmd["cmd"], err)
	}
	return v
}

// Records returns every record received so far, in arrival order.
func (d *Driver) Records() []Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Record, len(d.records))
	for i, r := range d.records {
		out[i] = *r
	}
	return out
}

// wait returns the first record matching, not yet returned by an earlier wait, marking it
// taken. Records are taken once each, so waits in any order see every record.
func (d *Driver) wait(tb testing.TB, timeout time.Duration, what string, match func(*Record) bool, related func(*Record) bool) *Record {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		d.mu.Lock()
		for _, r := range d.records {
			if !r.taken && match(r) {
				r.taken = true
				c := *r
				d.mu.Unlock()
				return &c
			}
		}
		changed := d.changed
		d.mu.Unlock()
		select {
		case <-changed:
		case <-d.exited:
			tb.Fatalf("interoptest: driver exited while waiting for %s: %v\n%s", what, d.exitErr, d.seen(related))
		case <-deadline.C:
			tb.Fatalf("interoptest: no %s within %v\n%s", what, timeout, d.seen(related))
		}
	}
}

// seen describes the records related to a failed wait, plus the driver's complaints.
func (d *Driver) seen(related func(*Record) bool) string {
	d.mu.Lock()
	var sb strings.Builder
	sb.WriteString("what arrived instead:")
	n := 0
	for _, r := range d.records {
		if related(r) {
			n++
			sb.WriteString("\n  ")
			sb.WriteString(r.String())
			if r.taken {
				sb.WriteString("  (already waited for)")
			}
		}
	}
	if n == 0 {
		sb.WriteString(" nothing")
	}
	d.mu.Unlock()
	sb.WriteString("\n")
	sb.WriteString(d.diagnostics())
	return sb.String()
}

func (d *Driver) diagnostics() string {
	d.mu.Lock()
	logs := append([]string(nil), d.logs...)
	d.mu.Unlock()
	var sb strings.Builder
	if len(logs) > 0 {
		sb.WriteString("driver log:\n  ")
		sb.WriteString(strings.Join(logs, "\n  "))
		sb.WriteString("\n")
	}
	if s := d.stderr.String(); s != "" {
		sb.WriteString("driver stderr:\n")
		sb.WriteString(s)
	}
	return sb.String()
}

func (d *Driver) socketName() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sockets++
	return fmt.Sprintf("s%d", d.sockets)
}

func (d *Driver) managerName() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.managers++
	return fmt.Sprintf("m%d", d.managers)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
