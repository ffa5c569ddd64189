package gen

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Scenario names.
const (
	ScenarioIdle      = "idle"
	ScenarioBcast     = "bcast"
	ScenarioAck       = "ack"
	ScenarioStormWS   = "storm-ws"
	ScenarioStormPoll = "storm-poll"
	ScenarioSlow      = "slow"
	ScenarioIdlePoll  = "idle-poll"  // idle, with sessions kept on long-polling
	ScenarioAckPoll   = "ack-poll"   // ack, over long-polling
	ScenarioBcastPoll = "bcast-poll" // a broadcast ladder to a room of polling sessions
)

// Scenarios lists every scenario in the order the runner uses.
var Scenarios = []string{ScenarioIdle, ScenarioBcast, ScenarioAck, ScenarioStormWS, ScenarioStormPoll, ScenarioSlow,
	ScenarioIdlePoll, ScenarioAckPoll, ScenarioBcastPoll}

// PollingScenarios are the scenarios whose sessions stay on long-polling.
var PollingScenarios = []string{ScenarioIdlePoll, ScenarioAckPoll, ScenarioBcastPoll}

// Options are the generator's parameters.
type Options struct {
	Scenario string
	Addr     string // host:port of the server
	Path     string // Engine.IO path
	Sources  string // source addresses: "127.0.0.2-127.0.0.9" or a list
	PID      int    // the server's process id, for /proc readings (0: none)
	Quick    bool   // the quick profile's defaults
	Pad      int    // payload padding: 64 gives a payload of about 100 bytes
	InFlight int    // sessions being opened at once

	IdleSteps  []int         // session counts at which memory is read
	IdleSettle time.Duration // wait before each reading
	IdleHold   time.Duration // hold at the last step, then check that no session dropped

	Rooms     []int         // broadcast room sizes, in order
	Rates     []int         // delivery rates to try, per second, rising
	StepTime  time.Duration // length of a rate step
	CPUStep   time.Duration // length of the 20k deliveries/s step, whose CPU per delivery is reported
	MinBcasts int           // a step lasts long enough for at least this many broadcasts
	Drain     time.Duration // longest wait for a step's deliveries after its last send
	Warmup    time.Duration // discarded traffic before the first measured step

	AckClients      []int // closed-loop client counts
	AckFixedRate    int   // round trips per second of the open-loop step (0: none)
	AckFixedClients int   // connections sharing it

	StormSessions int           // most sessions per storm
	StormTime     time.Duration // longest storm

	SlowRoom       int           // room size
	SlowRate       int           // deliveries per second
	SlowPad        int           // payload padding
	SlowRecvBuffer int           // SO_RCVBUF of the slow receiver
	SlowPhase      time.Duration // length of the phase before and of the phase after it stops

	PollIdleSteps []int // idle-poll: session counts at which memory is read
	// PollIdleSettle is idle-poll's wait before each reading: longer than IdleSettle, so
	// that every session's GET has waited past the 1 to 2 s after which sockgate takes it
	// out of net/http (an idle polling session's GET waits up to the ping interval, 25 s
	// by default, so the reading is still of a young idle session).
	PollIdleSettle time.Duration
	PollAckClients []int // ack-poll: closed-loop client counts
	PollRoom       int   // bcast-poll: room size
	PollRates      []int // bcast-poll: delivery rates to try, per second, rising
}

// Defaults returns the full profile, or with quick the one-repetition smoke profile.
func Defaults(quick bool) Options {
	o := Options{
		Scenario: ScenarioIdle,
		Addr:     "127.0.0.1:3000",
		Path:     "/socket.io/",
		Pad:      64,
		InFlight: 200,

		IdleSteps:  []int{1000, 5000, 15000, 18000},
		IdleSettle: time.Second,

		Rooms:     []int{1000, 5000, 15000},
		Rates:     []int{20000, 40000, 60000, 80000, 100000, 120000, 160000, 200000},
		StepTime:  2 * time.Second,
		CPUStep:   4 * time.Second,
		MinBcasts: 3,
		Drain:     2 * time.Second,
		Warmup:    time.Second,

		AckClients:      []int{1, 100, 1000},
		AckFixedRate:    10000,
		AckFixedClients: 100,

		StormSessions: 10000,
		StormTime:     5 * time.Second,

		SlowRoom:       5000,
		SlowRate:       20000,
		SlowPad:        1000,
		SlowRecvBuffer: 4096,
		SlowPhase:      3 * time.Second,

		PollIdleSteps:  []int{1000, 3000, 6000},
		PollIdleSettle: 2500 * time.Millisecond,
		PollAckClients: []int{1, 100},
		PollRoom:       1000,
		PollRates:      []int{5000, 10000, 20000, 40000, 60000, 80000, 100000},
	}
	if quick {
		o.Quick = true
		o.IdleSteps = []int{500, 1500}
		o.IdleSettle = 500 * time.Millisecond
		o.Rooms = []int{1000}
		o.Rates = []int{10000, 20000, 40000}
		o.StepTime = time.Second
		o.CPUStep = o.StepTime
		o.MinBcasts = 3
		o.Drain = time.Second
		o.Warmup = 500 * time.Millisecond
		o.AckClients = []int{1, 100}
		o.AckFixedRate = 5000
		o.StormSessions = 2000
		o.StormTime = 1500 * time.Millisecond
		o.SlowRoom = 500
		o.SlowPhase = time.Second
		o.PollIdleSteps = []int{200, 600}
		o.PollAckClients = []int{100}
		o.PollRates = []int{5000, 10000}
	}
	return o
}

// ParseArgs reads the generator's command line. -quick switches every default to the
// quick profile; flags given explicitly win in both profiles.
func ParseArgs(args []string) (Options, error) {
	quick := false
	pre := flag.NewFlagSet("gen", flag.ContinueOnError)
	pre.SetOutput(io.Discard)
	def := Defaults(false)
	def.register(pre)
	if err := pre.Parse(args); err == nil {
		quick = def.Quick
	}
	o := Defaults(quick)
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("gen: unexpected arguments %q", fs.Args())
	}
	return o, o.Validate()
}

func (o *Options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.Scenario, "scenario", o.Scenario, "scenario: "+strings.Join(Scenarios, ", "))
	fs.StringVar(&o.Addr, "addr", o.Addr, "server address host:port")
	fs.StringVar(&o.Path, "path", o.Path, "Engine.IO path")
	fs.StringVar(&o.Sources, "src", o.Sources, "source addresses, e.g. 127.0.0.2-127.0.0.9")
	fs.IntVar(&o.PID, "pid", o.PID, "server process id, for /proc readings")
	fs.BoolVar(&o.Quick, "quick", o.Quick, "quick profile defaults")
	fs.IntVar(&o.Pad, "pad", o.Pad, "payload padding bytes")
	fs.IntVar(&o.InFlight, "inflight", o.InFlight, "sessions opened at once")
	fs.Var((*intList)(&o.IdleSteps), "idle-steps", "idle: session counts")
	fs.DurationVar(&o.IdleSettle, "idle-settle", o.IdleSettle, "idle: settle before each reading")
	fs.DurationVar(&o.IdleHold, "idle-hold", o.IdleHold, "idle: hold at the last step")
	fs.Var((*intList)(&o.Rooms), "rooms", "bcast: room sizes")
	fs.Var((*intList)(&o.Rates), "rates", "bcast: delivery rates per second")
	fs.DurationVar(&o.StepTime, "step", o.StepTime, "bcast/ack: step length")
	fs.DurationVar(&o.CPUStep, "cpu-step", o.CPUStep, "bcast: length of the 20k/s step (CPU per delivery)")
	fs.IntVar(&o.MinBcasts, "min-bcasts", o.MinBcasts, "bcast: least broadcasts per step")
	fs.DurationVar(&o.Drain, "drain", o.Drain, "bcast: longest drain after a step")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "discarded warm-up traffic")
	fs.Var((*intList)(&o.AckClients), "ack-clients", "ack: closed-loop client counts")
	fs.IntVar(&o.AckFixedRate, "ack-fixed", o.AckFixedRate, "ack: open-loop round trips per second (0: none)")
	fs.IntVar(&o.AckFixedClients, "ack-fixed-clients", o.AckFixedClients, "ack: connections of the open-loop step")
	fs.IntVar(&o.StormSessions, "storm-sessions", o.StormSessions, "storm: most sessions")
	fs.DurationVar(&o.StormTime, "storm-time", o.StormTime, "storm: longest duration")
	fs.IntVar(&o.SlowRoom, "slow-room", o.SlowRoom, "slow: room size")
	fs.IntVar(&o.SlowRate, "slow-rate", o.SlowRate, "slow: deliveries per second")
	fs.IntVar(&o.SlowPad, "slow-pad", o.SlowPad, "slow: payload padding bytes")
	fs.IntVar(&o.SlowRecvBuffer, "slow-rcvbuf", o.SlowRecvBuffer, "slow: SO_RCVBUF of the slow receiver")
	fs.DurationVar(&o.SlowPhase, "slow-phase", o.SlowPhase, "slow: length of each phase")
	fs.Var((*intList)(&o.PollIdleSteps), "poll-idle-steps", "idle-poll: session counts")
	fs.DurationVar(&o.PollIdleSettle, "poll-idle-settle", o.PollIdleSettle, "idle-poll: settle before each reading")
	fs.Var((*intList)(&o.PollAckClients), "poll-ack-clients", "ack-poll: closed-loop client counts")
	fs.IntVar(&o.PollRoom, "poll-room", o.PollRoom, "bcast-poll: room size")
	fs.Var((*intList)(&o.PollRates), "poll-rates", "bcast-poll: delivery rates per second")
}

// Validate reports parameters the scenarios cannot run with.
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("gen: "+format, args...)) }
	known := false
	for _, s := range Scenarios {
		known = known || s == o.Scenario
	}
	if !known {
		bad("unknown scenario %q (want one of %s)", o.Scenario, strings.Join(Scenarios, ", "))
	}
	if o.Addr == "" || !strings.Contains(o.Addr, ":") {
		bad("-addr %q is not host:port", o.Addr)
	}
	if !strings.HasPrefix(o.Path, "/") {
		bad("-path %q must start with /", o.Path)
	}
	if o.InFlight < 1 {
		bad("-inflight must be at least 1")
	}
	if o.Pad < 0 || o.SlowPad < 0 || o.Pad > 60000 || o.SlowPad > 60000 {
		bad("padding must be between 0 and 60000")
	}
	checkList := func(name string, l []int) {
		if len(l) == 0 {
			bad("-%s is empty", name)
		}
		for i, v := range l {
			if v < 1 || (i > 0 && v <= l[i-1]) {
				bad("-%s must be positive and rising: %v", name, l)
				return
			}
		}
	}
	checkList("idle-steps", o.IdleSteps)
	checkList("rooms", o.Rooms)
	checkList("rates", o.Rates)
	if len(o.AckClients) > 0 || o.AckFixedRate == 0 {
		checkList("ack-clients", o.AckClients) // empty only when the open-loop step runs
	}
	checkList("poll-idle-steps", o.PollIdleSteps)
	checkList("poll-ack-clients", o.PollAckClients)
	checkList("poll-rates", o.PollRates)
	if n := o.PollIdleSteps; len(n) > 0 && n[len(n)-1] > 9000 {
		bad("-poll-idle-steps above 9000 do not fit the 20000 open files of one process (two per session)")
	}
	if o.PollRoom < 1 || o.PollRoom > 9000 {
		bad("-poll-room must be between 1 and 9000 (two open files per session)")
	}
	if n := o.IdleSteps; len(n) > 0 && n[len(n)-1] > 19000 {
		bad("-idle-steps above 19000 do not fit the 20000 open files of one process")
	}
	if n := o.Rooms; len(n) > 0 && n[len(n)-1] > 19000 {
		bad("-rooms above 19000 do not fit the 20000 open files of one process")
	}
	if o.StepTime <= 0 || o.StormTime <= 0 || o.SlowPhase <= 0 {
		bad("durations must be positive")
	}
	if o.AckFixedRate < 0 || (o.AckFixedRate > 0 && o.AckFixedClients < 1) {
		bad("-ack-fixed needs at least one client")
	}
	if o.StormSessions < 1 || o.SlowRoom < 2 || o.SlowRate < 1 || o.MinBcasts < 1 {
		bad("-storm-sessions, -slow-room, -slow-rate and -min-bcasts must be positive (slow-room at least 2)")
	}
	return errors.Join(errs...)
}

// intList is a comma-separated list flag.
type intList []int

func (l *intList) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func (l *intList) Set(v string) error {
	var out []int
	if v == "" || v == "none" {
		*l = nil
		return nil
	}
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		mult := 1
		if k, ok := strings.CutSuffix(f, "k"); ok {
			f, mult = k, 1000
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return fmt.Errorf("not a number: %q", f)
		}
		out = append(out, n*mult)
	}
	*l = out
	return nil
}
