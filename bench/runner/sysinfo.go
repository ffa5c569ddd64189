package runner

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Machine describes where and with what a run was made.
type Machine struct {
	CPUModel   string            `json:"cpu_model"`
	NumCPU     int               `json:"num_cpu"`
	MemTotal   string            `json:"mem_total"`
	Kernel     string            `json:"kernel"`
	GoVersion  string            `json:"go_version"`
	Node       string            `json:"node_version"`
	Packages   map[string]string `json:"packages"` // npm and Go module versions
	NoFileHard uint64            `json:"nofile_hard"`
	Sysctls    map[string]string `json:"sysctls"`
	LoadBefore string            `json:"load_before"`
	Quiet      bool              `json:"quiet"` // the load average went below the threshold before the run
	StealPct   float64           `json:"steal_pct"`
	ServerCPU  string            `json:"server_cpu"`
	GenCPU     string            `json:"gen_cpu"`
}

var sysctlFiles = []string{
	"net/ipv4/ip_local_port_range",
	"net/core/somaxconn",
	"net/ipv4/tcp_tw_reuse",
	"net/ipv4/tcp_rmem",
	"net/ipv4/tcp_wmem",
	"net/netfilter/nf_conntrack_max",
	"fs/nr_open",
}

var npmPackages = []string{"socket.io", "engine.io", "ws", "bufferutil", "socket.io-adapter", "socket.io-parser", "socket.io-client"}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// describe collects the machine facts of the report header.
func describe(ctx context.Context, o Options) *Machine {
	m := &Machine{
		NumCPU:    runtime.NumCPU(), // the affinity mask's count: replaced from cpuinfo below
		Kernel:    readTrim("/proc/sys/kernel/osrelease"),
		GoVersion: runtime.Version(),
		Packages:  map[string]string{},
		Sysctls:   map[string]string{},
		ServerCPU: o.ServerCPU,
		GenCPU:    o.GenCPU,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n := 0
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			switch k = strings.TrimSpace(k); {
			case !ok:
			case k == "processor":
				n++
			case k == "model name" && m.CPUModel == "":
				m.CPUModel = strings.TrimSpace(v)
			}
		}
		if n > 0 {
			m.NumCPU = n
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.Fields(v)[0], 64)
				m.MemTotal = strconv.FormatFloat(kb/(1<<20), 'f', 1, 64) + " GiB"
			}
		}
	}
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		m.NoFileHard = rl.Max
	}
	for _, f := range sysctlFiles {
		m.Sysctls[strings.ReplaceAll(f, "/", ".")] = readTrim("/proc/sys/" + f)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(cctx, "node", "--version").Output(); err == nil {
		m.Node = strings.TrimSpace(string(out))
	}
	for _, p := range npmPackages {
		var pj struct {
			Version string `json:"version"`
		}
		b, err := os.ReadFile(filepath.Join(o.NodeDir, "node_modules", p, "package.json"))
		if err == nil && json.Unmarshal(b, &pj) == nil {
			m.Packages["npm "+p] = pj.Version
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/gorilla/websocket" || d.Path == "go.uber.org/fx" {
				m.Packages["go "+d.Path] = d.Version
			}
		}
	}
	if bi, err := buildinfo.ReadFile(filepath.Join(o.Bin, TargetZishang)); err == nil {
		for _, d := range bi.Deps {
			if strings.HasPrefix(d.Path, "github.com/zishang520/socket.io/servers/") {
				m.Packages["go "+d.Path] = d.Version
			}
		}
	}
	m.LoadBefore = readTrim("/proc/loadavg")
	return m
}

// loadAverage returns the 1-minute load average.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(string(f[0]), 64)
	return v
}

// waitQuiet polls the load average every 30 s until it is below limit or wait has
// passed. It reports whether the machine got quiet.
func waitQuiet(ctx context.Context, limit float64, wait time.Duration, logf func(string, ...any)) bool {
	deadline := time.Now().Add(wait)
	for {
		l := loadAverage()
		if l < limit {
			return true
		}
		if time.Now().After(deadline) {
			logf("load average still %.2f after %v: running anyway", l, wait)
			return false
		}
		logf("load average %.2f >= %.2f: waiting", l, limit)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(30 * time.Second):
		}
	}
}
