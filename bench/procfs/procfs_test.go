package procfs

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want CPU
		ok   bool
	}{
		{"plain", "8362 (cat) R 8255 8255 27427 0 -1 4194304 120 0 0 0 17 4 0 0 20 0 1 0", CPU{170 * time.Millisecond, 40 * time.Millisecond}, true},
		{"name with spaces and parens", "1 (a b) c)) S 1 1 1 0 -1 0 0 0 0 0 300 5 0 0 20", CPU{3 * time.Second, 50 * time.Millisecond}, true},
		{"no paren", "1 cat R 1 2 3", CPU{}, false},
		{"short", "1 (x) R 1 2 3", CPU{}, false},
		{"not a number", "1 (x) R 1 1 1 0 -1 0 0 0 0 0 x 5 0", CPU{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.in))
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
	a := CPU{User: 3 * time.Second, Sys: time.Second}
	if d := a.Sub(CPU{User: time.Second}); d.User != 2*time.Second || d.Total() != 3*time.Second {
		t.Fatalf("Sub/Total: %+v", d)
	}
}

func TestParseSmapsRollup(t *testing.T) {
	in := "55-7f ---p 00000000 00:00 0 [rollup]\nRss:                1724 kB\nPss:   226 kB\nAnonymous:           112 kB\nLazyFree: 0 kB\n"
	m, err := ParseSmapsRollup([]byte(in))
	if err != nil || m.RSS != 1724<<10 || m.Anon != 112<<10 {
		t.Fatalf("got %+v, %v", m, err)
	}
	if _, err := ParseSmapsRollup([]byte("Rss: 1 kB\n")); err == nil {
		t.Fatal("accepted a rollup without Anonymous")
	}
	if _, err := ParseSmapsRollup([]byte("Rss: x kB\nAnonymous: 1 kB\n")); err == nil {
		t.Fatal("accepted a non-number")
	}
}

func TestParseMeminfoAndSockstat(t *testing.T) {
	slab, err := ParseMeminfoSlab([]byte("MemTotal: 100 kB\nSlab:             115500 kB\nSUnreclaim: 1 kB\n"))
	if err != nil || slab != 115500<<10 {
		t.Fatalf("slab %d, %v", slab, err)
	}
	if _, err := ParseMeminfoSlab([]byte("MemTotal: 1 kB\n")); err == nil {
		t.Fatal("accepted meminfo without Slab")
	}
	mem, err := ParseSockstatTCPMem([]byte("sockets: used 224\nTCP: inuse 208 orphan 0 tw 3641 alloc 208 mem 17\nUDP: inuse 0 mem 0\n"))
	if err != nil || mem != 17 {
		t.Fatalf("tcp mem %d, %v", mem, err)
	}
	if _, err := ParseSockstatTCPMem([]byte("UDP: inuse 0 mem 0\n")); err == nil {
		t.Fatal("accepted sockstat without TCP")
	}
}

func TestParseSystemStat(t *testing.T) {
	a, err := ParseSystemStat([]byte("cpu  100 0 50 800 10 0 5 20 0 0\ncpu0 1 2 3\n"))
	if err != nil || a.Busy != 155 || a.Idle != 810 || a.Steal != 20 {
		t.Fatalf("got %+v, %v", a, err)
	}
	b := System{Busy: a.Busy + 80, Idle: a.Idle + 10, Steal: a.Steal + 10}
	if f := StealFraction(a, b); f != 0.1 {
		t.Fatalf("steal fraction %v, want 0.1", f)
	}
	if f := StealFraction(a, a); f != 0 {
		t.Fatalf("steal fraction of nothing %v", f)
	}
	for _, bad := range []string{"", "cpu0 1 2", "cpu 1 2 3", "cpu a b c d e f g h"} {
		if _, err := ParseSystemStat([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParseSchedstat(t *testing.T) {
	if d, err := ParseSchedstat([]byte("714972838 872209182 2039\n")); err != nil || d != 714972838 {
		t.Fatalf("got %v, %v", d, err)
	}
	for _, bad := range []string{"", "x 1 2"} {
		if _, err := ParseSchedstat([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestReadSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	if _, err := ReadCPU(0); err != nil {
		t.Fatal(err)
	}
	if d, err := ReadOnCPU(0); err != nil || d <= 0 {
		t.Fatalf("ReadOnCPU: %v, %v", d, err)
	}
	if m, err := ReadMem(os.Getpid()); err != nil || m.RSS <= 0 {
		t.Fatalf("ReadMem: %+v, %v", m, err)
	}
	if _, err := ReadSlab(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadTCPMemPages(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSystem(); err != nil {
		t.Fatal(err)
	}
}
