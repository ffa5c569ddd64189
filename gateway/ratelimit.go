package gateway

import (
	"fmt"
	"math"
	"time"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/internal/socketio"
)

// Rate limits are token buckets per socket and event, kept as one "theoretical arrival
// time" each (GCRA): an event is allowed when the bucket's time, moved forward by one
// event's interval, is at most burst intervals ahead of now. One int64 per bucket, no
// timer, no goroutine.
//
// The rule of an event is, first found: the namespace's rule for the event (a rate: tag,
// or the rate: of the gateway handling it), the parent namespace's, the namespace's
// default (SetEventRate), the parent's default, Config.EventRate.
//
// The reader goroutine of the connection checks the limits, before an event is queued, so
// that a flood costs neither queue room nor handler time; the limiter state of a socket is
// therefore owned by that goroutine and needs no lock.

// rateRule is a parsed rate, ready for the bucket arithmetic.
type rateRule struct {
	interval  int64 // nanoseconds between two events at the sustained rate
	tolerance int64 // how far ahead of now a bucket's time may run: interval * (burst - 1)
	text      string
}

func newRateRule(r decorators.Rate) *rateRule {
	interval := int64(r.Per) / int64(r.Count)
	if interval < 1 {
		interval = 1
	}
	// A long interval times a large burst ("1/h,burst=1000000000") would overflow: such a
	// bucket is as good as unlimited at once, and a quarter of the int64 range keeps the
	// sums below from overflowing.
	const maxTolerance = math.MaxInt64 / 4
	tolerance := int64(maxTolerance)
	if extra := int64(r.BurstSize() - 1); extra < maxTolerance/interval {
		tolerance = interval * extra
	}
	return &rateRule{interval: interval, tolerance: tolerance, text: r.String()}
}

// parseRateRule parses a rate in the tag syntax; what names the setting for errors.
func parseRateRule(what, s string) (*rateRule, error) {
	r, err := decorators.ParseRate(s)
	if err != nil {
		return nil, fmt.Errorf("gateway: %s: %w", what, err)
	}
	return newRateRule(r), nil
}

// maxBuckets bounds the buckets of one socket: under a default rule, event names are the
// client's choice, so past the bound the remaining events share one bucket.
const maxBuckets = 16

// limiter is the rate state of one socket, allocated at its first limited event.
type limiter struct {
	buckets []bucket
	// refusals is the GCRA time of the flood detector: each refusal moves it forward by
	// the refusal window divided by the refusals allowed in it.
	refusals int64
	// streak is set by a refusal and cleared by an allowed event: only the first refusal
	// of a streak emits "exception".
	streak bool
}

type bucket struct {
	event string // "" for the shared bucket
	tat   int64  // theoretical arrival time of the next event, in server nanoseconds
}

// allow takes a token for event (key) at now under rule.
func (l *limiter) allow(key string, rule *rateRule, now int64) bool {
	b := l.bucket(key)
	tat := max(b.tat, now) + rule.interval
	if tat-now > rule.tolerance+rule.interval {
		return false
	}
	b.tat = tat
	return true
}

func (l *limiter) bucket(key string) *bucket {
	for i := range l.buckets {
		if l.buckets[i].event == key {
			return &l.buckets[i]
		}
	}
	if len(l.buckets) >= maxBuckets-1 && key != "" {
		return l.bucket("")
	}
	if l.buckets == nil {
		l.buckets = make([]bucket, 0, 2)
	}
	l.buckets = append(l.buckets, bucket{event: key})
	return &l.buckets[len(l.buckets)-1]
}

// refused records one refusal at now and reports whether the socket has now been refused
// more than max times within window (refusals older than window are forgotten
// progressively: the count drains at max per window). A negative max never disconnects.
func (l *limiter) refused(max int, window time.Duration, now int64) bool {
	if max < 0 {
		return false
	}
	step := int64(window) / int64(max)
	l.refusals = maxInt64(l.refusals, now) + step
	return l.refusals-now > int64(window)
}

func maxInt64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// SetEventRate sets the default limit of every event of the namespace (or of every child
// of a pattern namespace) that has no rate of its own from a tag or its gateway, per
// socket and event, in the syntax of rate: tags (decorators.ParseRate): "20/s",
// "100/m,burst=20". It replaces Config.EventRate for the namespace. An empty rate removes
// the namespace's default.
func (r *registry) SetEventRate(rate string) error {
	var rule *rateRule
	if rate != "" {
		var err error
		if rule, err = parseRateRule("SetEventRate", rate); err != nil {
			return err
		}
	}
	r.regMu.Lock()
	r.defaultRate = rule
	r.regMu.Unlock()
	if rule != nil && r.owner != nil {
		r.owner.rateLimits.Store(true)
	}
	return nil
}

// limitEvent sets the rule of one event.
func (r *registry) limitEvent(event string, rule *rateRule) {
	r.regMu.Lock()
	if r.rates == nil {
		r.rates = make(map[string]*rateRule)
	}
	r.rates[event] = rule
	r.regMu.Unlock()
	if r.owner != nil {
		r.owner.rateLimits.Store(true)
	}
}

func (r *registry) rateOf(event string) (perEvent, def *rateRule) {
	r.regMu.RLock()
	defer r.regMu.RUnlock()
	return r.rates[event], r.defaultRate
}

// rateFor returns the rule of event, or nil when the event is not limited.
func (n *Namespace) rateFor(event string) *rateRule {
	rule, def := n.rateOf(event)
	var pdef *rateRule
	if rule == nil && n.parent != nil {
		rule, pdef = n.parent.rateOf(event)
	}
	switch {
	case rule != nil:
		return rule
	case def != nil:
		return def
	case pdef != nil:
		return pdef
	}
	return n.srv.defaultRate
}

// rateLimited reports whether the event must be refused for its rate, and answers the
// client when it is: with resource_exhausted (in the acknowledgement when one was asked
// for, and as "exception" for the first refusal of a streak), or, when the socket keeps
// being refused, by disconnecting it. It runs on the connection's reader goroutine.
func (s *Socket) rateLimited(p *socketio.Packet) bool {
	ev, err := p.EventName()
	if err != nil {
		return false // dispatch drops it
	}
	rule := s.nsp.rateFor(ev)
	if rule == nil {
		return false
	}
	srv := s.nsp.srv
	now := srv.monotonic()
	if s.lim == nil {
		s.lim = &limiter{}
	}
	if s.lim.allow(ev, rule, now) {
		s.lim.streak = false
		return false
	}
	if o := srv.observer; o != nil {
		o.EventRateLimited(s.nsp.name, ev, s.handles(ev))
	}
	if s.lim.refused(srv.cfg.MaxRateRefusals, srv.cfg.RateRefusalWindow, now) {
		srv.logger.Warn("gateway: disconnecting a socket that keeps exceeding its rate limits",
			"namespace", s.nsp.name, "socket", s.id, "address", s.handshake.Address, "event", ev, "limit", rule.text)
		s.onClose(ReasonRateLimited, true)
		return true
	}
	// Every refused event that asked for an acknowledgement gets one; a streak of refusals
	// gets one exception, so that a flood is not answered packet for packet.
	exception := !s.lim.streak
	s.lim.streak = true
	s.reportErrorAs(ev, p.HasID, p.ID, NewError(CodeResourceExhausted, "rate limit exceeded: at most "+rule.text+" per socket"), exception)
	return true
}

// monotonic returns the server's clock in nanoseconds since it was created.
func (s *Server) monotonic() int64 {
	if s.now != nil {
		return s.now()
	}
	return int64(time.Since(s.epoch))
}

// handles reports whether a handler of the namespace or of the socket (Socket.On) takes
// event, so that observers do not turn names of the client's choosing into labels.
func (s *Socket) handles(event string) bool {
	if s.nsp.handler(event) != nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.extras == nil {
		return false
	}
	_, ok := s.extras.handlers[event]
	return ok
}
