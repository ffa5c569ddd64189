package gen

import (
	"slices"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-scenario", "bcast", "-rooms", "1k,5k", "-rates", "10000,20000", "-step", "2s"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Rooms, []int{1000, 5000}) || !slices.Equal(o.Rates, []int{10000, 20000}) || o.StepTime != 2*time.Second || o.Quick {
		t.Fatalf("got %+v", o)
	}
	q, err := ParseArgs([]string{"-quick", "-scenario", "idle"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(q.IdleSteps, Defaults(true).IdleSteps) || !q.Quick {
		t.Fatalf("quick defaults not applied: %+v", q.IdleSteps)
	}
	q, err = ParseArgs([]string{"-idle-steps", "10,20", "-quick"})
	if err != nil || !slices.Equal(q.IdleSteps, []int{10, 20}) {
		t.Fatalf("explicit flag lost under -quick: %v %v", q.IdleSteps, err)
	}
	pl, err := ParseArgs([]string{"-scenario", "bcast-poll", "-poll-room", "500", "-poll-rates", "1k,2k", "-poll-idle-steps", "10,20", "-poll-ack-clients", "1,5"})
	if err != nil || pl.PollRoom != 500 || !slices.Equal(pl.PollRates, []int{1000, 2000}) || !slices.Equal(pl.PollIdleSteps, []int{10, 20}) ||
		!slices.Equal(pl.PollAckClients, []int{1, 5}) {
		t.Fatalf("polling flags: %+v %v", pl, err)
	}
	a, err := ParseArgs([]string{"-scenario", "ack", "-ack-clients", "none", "-ack-fixed", "100"})
	if err != nil || len(a.AckClients) != 0 {
		t.Fatalf("ack without closed loops: %v %v", a.AckClients, err)
	}
	for _, bad := range [][]string{
		{"-scenario", "nope"}, {"-addr", "nohost"}, {"-path", "x"}, {"-inflight", "0"},
		{"-rooms", "5000,1000"}, {"-rooms", "25000"}, {"-idle-steps", "x"}, {"-step", "0s"},
		{"-scenario", "ack", "-ack-clients", "none", "-ack-fixed", "0"}, {"-pad", "-1"}, {"stray"},
		{"-poll-idle-steps", "100,10000"}, {"-poll-room", "0"}, {"-poll-room", "9001"}, {"-poll-rates", "2000,1000"},
		{"-poll-ack-clients", "none"},
	} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q) accepted", bad)
		}
	}
}

func TestFit(t *testing.T) {
	a, b, r2 := fit([]float64{1000, 2000, 3000}, []float64{15e6, 25e6, 35e6})
	if a != 5e6 || b != 10000 || r2 != 1 {
		t.Fatalf("fit = %v %v %v", a, b, r2)
	}
	if _, b, _ := fit([]float64{1}, []float64{1}); b != 0 {
		t.Fatal("a single point has no slope")
	}
	if _, _, r2 := fit([]float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}); r2 <= 0 || r2 >= 1 {
		t.Fatalf("noisy fit r2 = %v", r2)
	}
}

func TestRoomsFor(t *testing.T) {
	f := roomsFor([]int{1000, 5000, 15000})
	for i, want := range map[int]string{0: "r1000,r5000,r15000", 999: "r1000,r5000,r15000", 1000: "r5000,r15000", 14999: "r15000", 15000: ""} {
		if got := f(i); got != want {
			t.Errorf("roomsFor(%d) = %q, want %q", i, got, want)
		}
	}
}
