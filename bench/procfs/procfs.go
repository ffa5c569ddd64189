package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ClockTick is the unit of /proc CPU times. USER_HZ is 100 on every Linux architecture
// the benchmark runs on.
const ClockTick = 10 * time.Millisecond

// ErrFormat reports /proc text the parsers do not understand.
var ErrFormat = errors.New("procfs: unexpected format")

// CPU is a process's CPU time so far.
type CPU struct {
	User, Sys time.Duration
}

// Sub returns c - o.
func (c CPU) Sub(o CPU) CPU { return CPU{User: c.User - o.User, Sys: c.Sys - o.Sys} }

// Total returns user plus system time.
func (c CPU) Total() time.Duration { return c.User + c.Sys }

// ReadCPU returns the CPU time of process pid (0: this process), all threads included.
func ReadCPU(pid int) (CPU, error) {
	b, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return CPU{}, fmt.Errorf("procfs: %w", err)
	}
	return ParseStat(b)
}

func procPath(pid int, file string) string {
	if pid == 0 {
		return "/proc/self/" + file
	}
	return "/proc/" + strconv.Itoa(pid) + "/" + file
}

// ParseStat reads utime and stime from the text of /proc/<pid>/stat. The command name
// (field 2) may hold spaces and parentheses, so fields are counted from its last ')'.
func ParseStat(b []byte) (CPU, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return CPU{}, fmt.Errorf("%w: stat without ')'", ErrFormat)
	}
	f := bytes.Fields(b[i+1:])
	// After the name: state is field 3, utime field 14, stime field 15.
	if len(f) < 13 {
		return CPU{}, fmt.Errorf("%w: stat has %d fields after the name", ErrFormat, len(f))
	}
	u, err1 := strconv.ParseUint(string(f[11]), 10, 63)
	s, err2 := strconv.ParseUint(string(f[12]), 10, 63)
	if err1 != nil || err2 != nil {
		return CPU{}, fmt.Errorf("%w: utime %q stime %q", ErrFormat, f[11], f[12])
	}
	return CPU{User: time.Duration(u) * ClockTick, Sys: time.Duration(s) * ClockTick}, nil
}

// ReadOnCPU returns the time process pid (0: this process) has run on a CPU, user and
// system together, to the nanosecond: the sum of its threads' /proc/<pid>/task/*/schedstat
// (threads that have exited are not counted). Its clock-tick counterpart ReadCPU splits
// user from system but is only 10 ms fine.
func ReadOnCPU(pid int) (time.Duration, error) {
	dir := "/proc/self/task"
	if pid != 0 {
		dir = "/proc/" + strconv.Itoa(pid) + "/task"
	}
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("procfs: %w", err)
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread has just exited
		}
		d, err := ParseSchedstat(b)
		if err != nil {
			return 0, err
		}
		total += d
	}
	return total, nil
}

// ParseSchedstat reads the time on CPU (the first field, in nanoseconds) of a schedstat
// file.
func ParseSchedstat(b []byte) (time.Duration, error) {
	f := bytes.Fields(b)
	if len(f) < 1 {
		return 0, fmt.Errorf("%w: empty schedstat", ErrFormat)
	}
	n, err := strconv.ParseUint(string(f[0]), 10, 63)
	if err != nil {
		return 0, fmt.Errorf("%w: schedstat %q", ErrFormat, f[0])
	}
	return time.Duration(n), nil
}

// Mem is a process's resident memory, in bytes.
type Mem struct {
	RSS  int64 `json:"rss"`
	Anon int64 `json:"anon"`
}

// ReadMem returns the resident memory of process pid (0: this process).
func ReadMem(pid int) (Mem, error) {
	b, err := os.ReadFile(procPath(pid, "smaps_rollup"))
	if err != nil {
		return Mem{}, fmt.Errorf("procfs: %w", err)
	}
	return ParseSmapsRollup(b)
}

// ParseSmapsRollup reads Rss and Anonymous from the text of /proc/<pid>/smaps_rollup.
func ParseSmapsRollup(b []byte) (Mem, error) {
	var m Mem
	var seen int
	err := eachKB(b, func(key []byte, kb int64) {
		switch string(key) {
		case "Rss":
			m.RSS, seen = kb<<10, seen|1
		case "Anonymous":
			m.Anon, seen = kb<<10, seen|2
		}
	})
	if err == nil && seen != 3 {
		err = fmt.Errorf("%w: smaps_rollup without Rss and Anonymous", ErrFormat)
	}
	return m, err
}

// eachKB calls fn for every "Key:   123 kB" line.
func eachKB(b []byte, fn func(key []byte, kb int64)) error {
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		f := bytes.Fields(v)
		if len(f) != 2 || string(f[1]) != "kB" {
			continue
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %q", ErrFormat, line)
		}
		fn(k, n)
	}
	return nil
}

// ReadSlab returns the kernel's slab memory (Slab in /proc/meminfo), in bytes.
func ReadSlab() (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("procfs: %w", err)
	}
	return ParseMeminfoSlab(b)
}

// ParseMeminfoSlab reads Slab from the text of /proc/meminfo.
func ParseMeminfoSlab(b []byte) (int64, error) {
	slab := int64(-1)
	err := eachKB(b, func(k []byte, kb int64) {
		if string(k) == "Slab" {
			slab = kb << 10
		}
	})
	if err == nil && slab < 0 {
		err = fmt.Errorf("%w: meminfo without Slab", ErrFormat)
	}
	return slab, err
}

// ReadTCPMemPages returns the TCP "mem" counter of /proc/net/sockstat, in pages.
func ReadTCPMemPages() (int64, error) {
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return 0, fmt.Errorf("procfs: %w", err)
	}
	return ParseSockstatTCPMem(b)
}

// ParseSockstatTCPMem reads the TCP line's mem value from /proc/net/sockstat text.
func ParseSockstatTCPMem(b []byte) (int64, error) {
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		rest, ok := bytes.CutPrefix(line, []byte("TCP:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		for i := 0; i+1 < len(f); i += 2 {
			if string(f[i]) == "mem" {
				n, err := strconv.ParseInt(string(f[i+1]), 10, 64)
				if err != nil {
					return 0, fmt.Errorf("%w: %q", ErrFormat, line)
				}
				return n, nil
			}
		}
	}
	return 0, fmt.Errorf("%w: sockstat without TCP mem", ErrFormat)
}

// System is the machine-wide CPU time so far, in clock ticks.
type System struct {
	Busy, Idle, Steal uint64
}

// ReadSystem returns the aggregate "cpu" line of /proc/stat.
func ReadSystem() (System, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return System{}, fmt.Errorf("procfs: %w", err)
	}
	return ParseSystemStat(b)
}

// ParseSystemStat reads the "cpu " line of /proc/stat text: user nice system idle iowait
// irq softirq steal ...
func ParseSystemStat(b []byte) (System, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	rest, ok := bytes.CutPrefix(line, []byte("cpu "))
	if !ok {
		return System{}, fmt.Errorf("%w: /proc/stat does not start with cpu", ErrFormat)
	}
	f := bytes.Fields(rest)
	if len(f) < 8 {
		return System{}, fmt.Errorf("%w: cpu line has %d fields", ErrFormat, len(f))
	}
	var v [8]uint64
	for i := range v {
		n, err := strconv.ParseUint(string(f[i]), 10, 64)
		if err != nil {
			return System{}, fmt.Errorf("%w: cpu field %q", ErrFormat, f[i])
		}
		v[i] = n
	}
	return System{Busy: v[0] + v[1] + v[2] + v[5] + v[6], Idle: v[3] + v[4], Steal: v[7]}, nil
}

// StealFraction returns the share of time stolen between two readings.
func StealFraction(a, b System) float64 {
	total := (b.Busy + b.Idle + b.Steal) - (a.Busy + a.Idle + a.Steal)
	if total == 0 {
		return 0
	}
	return float64(b.Steal-a.Steal) / float64(total)
}
