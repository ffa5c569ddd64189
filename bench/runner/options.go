package runner

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sockgate/sockgate/bench/gen"
)

// Target names.
const (
	TargetSockgate = "sockgate"
	TargetNode     = "socket.io"
	TargetLimit    = "limit"
	TargetZishang  = "zishang" // github.com/zishang520/socket.io v3, the Go port of socket.io
	// TargetFeatures is sockgate with the features the chat example enables that keep
	// state per socket (rate limits, connection state recovery, metrics); it runs the idle
	// scenario only.
	TargetFeatures = "sockgate-features"
)

// Targets lists every target in the order of the first repetition.
var Targets = []string{TargetSockgate, TargetNode, TargetZishang, TargetLimit, TargetFeatures}

// featureFlags are the sockgate server's flags of TargetFeatures: the chat example's
// message rate on every event, socket.io's default recovery window, and its metrics.
var featureFlags = []string{"-rate", "100/m,burst=100", "-recovery", "2m", "-metrics"}

// Options are the runner's parameters.
type Options struct {
	Quick     bool
	Reps      int
	Targets   []string
	Scenarios []string
	Check     bool // check the generator against socket.io-client

	Bin     string // directory holding sockbench, sockgate, zishang and limit
	NodeDir string // the npm folder with server.js, client.js and node_modules
	Out     string // the Markdown report
	Results string // the JSON-lines results, appended to
	Logs    string // directory for every process's stderr
	Notes   string // a hand-written Markdown file included in the report ("" for none)
	Profile string // directory for sockgate's CPU and heap profiles ("" for none)

	ServerCPU string // taskset CPU list of the servers
	GenCPU    string // taskset CPU list of the generator
	PortBase  int    // first listening port; each run takes the next

	QuietLoad float64       // wait until the 1-minute load average is below this (0: do not wait)
	QuietWait time.Duration // ... for at most this long
	RunLimit  time.Duration // longest single generator run

	GenArgs []string // extra generator flags for every run
}

// DefaultOptions returns the full run's settings, or the quick smoke run's.
func DefaultOptions(quick bool) Options {
	o := Options{
		Reps:      3,
		Targets:   slices.Clone(Targets),
		Scenarios: slices.Clone(gen.Scenarios),
		Check:     true,
		Bin:       "bench/out/bin",
		NodeDir:   "bench/node",
		Out:       "docs/BENCHMARKS.md",
		Results:   "bench/out/results.jsonl",
		Logs:      "bench/out/logs",
		Notes:     "bench/notes.md",
		ServerCPU: "0",
		GenCPU:    "1",
		PortBase:  31000,
		QuietLoad: 0.8,
		QuietWait: time.Minute,
		RunLimit:  4 * time.Minute,
	}
	if quick {
		o.Quick = true
		o.Reps = 1
		o.Out = "bench/out/BENCHMARKS-quick.md"
		o.Results = "bench/out/results-quick.jsonl"
		o.QuietLoad = 0
	}
	return o
}

// ParseArgs reads the runner's command line; -quick switches the defaults.
func ParseArgs(args []string) (Options, error) {
	quick := false
	pre := flag.NewFlagSet("run", flag.ContinueOnError)
	pre.SetOutput(io.Discard)
	def := DefaultOptions(false)
	def.register(pre)
	if pre.Parse(args) == nil {
		quick = def.Quick
	}
	o := DefaultOptions(quick)
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("runner: unexpected arguments %q", fs.Args())
	}
	return o, o.Validate()
}

func (o *Options) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.Quick, "quick", o.Quick, "one-repetition smoke run with small scenarios")
	fs.IntVar(&o.Reps, "reps", o.Reps, "repetitions of every scenario and target")
	fs.Var((*list)(&o.Targets), "targets", "targets: "+strings.Join(Targets, ","))
	fs.Var((*list)(&o.Scenarios), "scenarios", "scenarios: "+strings.Join(gen.Scenarios, ","))
	fs.BoolVar(&o.Check, "check", o.Check, "check the generator against socket.io-client")
	fs.StringVar(&o.Bin, "bin", o.Bin, "directory of the sockbench, sockgate, zishang and limit binaries")
	fs.StringVar(&o.NodeDir, "node", o.NodeDir, "npm folder of the socket.io server and client")
	fs.StringVar(&o.Out, "out", o.Out, "Markdown report to write")
	fs.StringVar(&o.Results, "results", o.Results, "JSON-lines results file (appended to)")
	fs.StringVar(&o.Logs, "logs", o.Logs, "directory for the processes' logs")
	fs.StringVar(&o.Notes, "notes", o.Notes, "Markdown notes included in the report")
	fs.StringVar(&o.Profile, "profile", o.Profile, "write sockgate CPU and heap profiles into this directory")
	fs.StringVar(&o.ServerCPU, "server-cpu", o.ServerCPU, "taskset CPU list of the servers")
	fs.StringVar(&o.GenCPU, "gen-cpu", o.GenCPU, "taskset CPU list of the generator")
	fs.IntVar(&o.PortBase, "port", o.PortBase, "first listening port")
	fs.Float64Var(&o.QuietLoad, "quiet-load", o.QuietLoad, "wait for a 1-minute load average below this first (0: no wait)")
	fs.DurationVar(&o.QuietWait, "quiet-wait", o.QuietWait, "longest wait for a quiet machine")
	fs.DurationVar(&o.RunLimit, "run-limit", o.RunLimit, "longest generator run")
	fs.Var((*list)(&o.GenArgs), "gen-args", "extra generator flags, comma separated")
}

// Validate reports settings the runner cannot use.
func (o Options) Validate() error {
	var errs []error
	if o.Reps < 1 {
		errs = append(errs, errors.New("runner: -reps must be at least 1"))
	}
	if len(o.Targets) == 0 {
		errs = append(errs, errors.New("runner: no targets"))
	}
	for _, t := range o.Targets {
		if !slices.Contains(Targets, t) {
			errs = append(errs, fmt.Errorf("runner: unknown target %q (want %s)", t, strings.Join(Targets, ", ")))
		}
	}
	for _, s := range o.Scenarios {
		if !slices.Contains(gen.Scenarios, s) {
			errs = append(errs, fmt.Errorf("runner: unknown scenario %q (want %s)", s, strings.Join(gen.Scenarios, ", ")))
		}
	}
	if o.PortBase < 1024 || o.PortBase > 31000 {
		errs = append(errs, fmt.Errorf("runner: -port %d must be in 1024..31000, below the ephemeral range", o.PortBase))
	}
	if o.RunLimit <= 0 {
		errs = append(errs, errors.New("runner: -run-limit must be positive"))
	}
	if o.Out == "" || o.Results == "" {
		errs = append(errs, errors.New("runner: -out and -results are required"))
	}
	return errors.Join(errs...)
}

// rotate returns targets started at index rep (modulo), so that no target always runs
// first or last.
func rotate(targets []string, rep int) []string {
	n := len(targets)
	out := make([]string, 0, n)
	for i := range targets {
		out = append(out, targets[(i+rep)%n])
	}
	return out
}

// list is a comma-separated string list flag.
type list []string

func (l *list) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *list) Set(v string) error {
	*l = nil
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}
