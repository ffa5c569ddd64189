package adapter

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var _ SessionStore = (*memory)(nil)

// sweepEvery is the shortest time between two sweeps of expired sessions and packets.
// Restores check expiry exactly; the sweep only releases memory.
const sweepEvery = time.Second

// recovery is the in-memory adapter's connection state recovery: the sessions of
// disconnected sockets, the log of recoverable packets, and the sockets being restored.
type recovery struct {
	cfg   Recovery
	epoch string // prefix of this adapter's offsets, so that no other log's offset matches

	// restoring counts the entries of pending, so that AddAll and DelAll take mu only
	// while a restore is under way.
	restoring atomic.Int32

	// mu guards the fields below and orders recoverable broadcasts: a packet gets its
	// offset and reaches its recipients under mu, so every socket sees offsets in
	// increasing order. Lock order: mu before Memory.mu.
	mu       sync.Mutex
	seq      uint64
	log      []kept // oldest first; offsets are consecutive
	bytes    int64
	sessions map[string]*session // by pid
	oldest   *session            // sessions by disconnection time, oldest first
	newest   *session
	pending  map[string]*pendingRestore // by socket id: restored, not yet registered
	timer    *time.Timer
	closed   bool
}

// kept is a recoverable packet in the log.
type kept struct {
	seq  uint64
	at   time.Time
	opts BroadcastOptions
	p    *Packet
}

// session is a kept Session, linked in disconnection order.
type session struct {
	sid, pid   string
	rooms      []string
	data       any
	at         time.Time
	prev, next *session
}

// pendingRestore collects the packets for a restored socket until it is registered.
type pendingRestore struct {
	rooms   []string
	packets []*Packet
	at      time.Time
}

func newRecovery(cfg Recovery) *recovery {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return &recovery{
		cfg:      cfg.WithDefaults(),
		epoch:    base64.RawURLEncoding.EncodeToString(b[:]),
		sessions: make(map[string]*session),
		pending:  make(map[string]*pendingRestore),
	}
}

func (r *recovery) offset(seq uint64) string {
	return r.epoch + strconv.FormatUint(seq, 36)
}

// parseOffset returns the sequence number of an offset issued by this log.
func (r *recovery) parseOffset(off string) (uint64, bool) {
	rest, ok := strings.CutPrefix(off, r.epoch)
	if !ok || rest == "" {
		return 0, false
	}
	seq, err := strconv.ParseUint(rest, 36, 64)
	if err != nil || strconv.FormatUint(seq, 36) != rest {
		return 0, false
	}
	return seq, true
}

// keepLocked gives p its offset, logs it and hands it to the restores under way. It
// returns the packet to deliver. r.mu must be held.
func (r *recovery) keepLocked(p *Packet, opts BroadcastOptions) *Packet {
	r.seq++
	q := p.WithOffset(r.offset(r.seq))
	opts.Rooms = slices.Clone(opts.Rooms)
	opts.Except = slices.Clone(opts.Except)
	opts.Local, opts.Timeout = false, 0
	now := time.Now()
	r.log = append(r.log, kept{seq: r.seq, at: now, opts: opts, p: q})
	r.bytes += q.size()
	for len(r.log) > r.cfg.MaxPackets || (r.bytes > r.cfg.MaxPacketBytes && len(r.log) > 1) {
		r.dropPacketLocked()
	}
	for _, pr := range r.pending {
		if opts.Includes(pr.rooms) {
			pr.packets = append(pr.packets, q)
		}
	}
	r.armLocked(now)
	return q
}

func (r *recovery) dropPacketLocked() {
	r.bytes -= r.log[0].p.size()
	r.log[0] = kept{}
	r.log = r.log[1:]
	if len(r.log) == 0 {
		r.log = nil
	}
}

func (r *recovery) persist(s *Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if old := r.sessions[s.PID]; old != nil {
		r.unlinkLocked(old)
	}
	now := time.Now()
	ss := &session{sid: s.SID, pid: s.PID, rooms: slices.Clone(s.Rooms), data: s.Data, at: now}
	r.sessions[s.PID] = ss
	ss.prev = r.newest
	if r.newest != nil {
		r.newest.next = ss
	} else {
		r.oldest = ss
	}
	r.newest = ss
	for len(r.sessions) > r.cfg.MaxSessions {
		r.unlinkLocked(r.oldest)
	}
	r.armLocked(now)
}

func (r *recovery) unlinkLocked(s *session) {
	delete(r.sessions, s.pid)
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		r.oldest = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else {
		r.newest = s.prev
	}
	s.prev, s.next = nil, nil
}

func (r *recovery) restore(pid, offset string) *Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sessions[pid]
	if s == nil || r.closed {
		return nil
	}
	now := time.Now()
	if now.Sub(s.at) > r.cfg.MaxDisconnectionDuration {
		r.unlinkLocked(s)
		return nil
	}
	seq, ok := r.parseOffset(offset)
	if !ok || len(r.log) == 0 || seq < r.log[0].seq || seq > r.log[len(r.log)-1].seq {
		return nil
	}
	var missed []*Packet
	for _, k := range r.log[seq-r.log[0].seq+1:] {
		if k.opts.Includes(s.rooms) {
			missed = append(missed, k.p)
		}
	}
	r.unlinkLocked(s)
	if _, dup := r.pending[s.sid]; !dup {
		r.restoring.Add(1)
	}
	r.pending[s.sid] = &pendingRestore{rooms: s.rooms, at: now}
	r.armLocked(now)
	return &Session{SID: s.sid, PID: s.pid, Rooms: s.rooms, Data: s.data, MissedPackets: missed}
}

// takePendingLocked removes and returns the restore under way for socket id, if any.
func (r *recovery) takePendingLocked(id string) *pendingRestore {
	pr := r.pending[id]
	if pr != nil {
		delete(r.pending, id)
		r.restoring.Add(-1)
	}
	return pr
}

// armLocked makes sure a sweep will run while anything is kept.
func (r *recovery) armLocked(now time.Time) {
	if r.timer != nil || r.closed {
		return
	}
	var first time.Time
	consider := func(t time.Time) {
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	if len(r.log) > 0 {
		consider(r.log[0].at)
	}
	if r.oldest != nil {
		consider(r.oldest.at)
	}
	for _, pr := range r.pending {
		consider(pr.at)
	}
	if first.IsZero() {
		return
	}
	d := max(first.Add(r.cfg.MaxDisconnectionDuration).Sub(now), sweepEvery)
	r.timer = time.AfterFunc(d, r.sweep)
}

// sweep releases the sessions, packets and abandoned restores older than
// MaxDisconnectionDuration.
func (r *recovery) sweep() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timer = nil
	if r.closed {
		return
	}
	now := time.Now()
	expired := func(t time.Time) bool { return now.Sub(t) > r.cfg.MaxDisconnectionDuration }
	for len(r.log) > 0 && expired(r.log[0].at) {
		r.dropPacketLocked()
	}
	for r.oldest != nil && expired(r.oldest.at) {
		r.unlinkLocked(r.oldest)
	}
	for id, pr := range r.pending {
		if expired(pr.at) {
			r.takePendingLocked(id)
		}
	}
	r.armLocked(now)
}

func (r *recovery) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.log, r.bytes = nil, 0
	r.sessions, r.oldest, r.newest = map[string]*session{}, nil, nil
	for id := range r.pending {
		r.takePendingLocked(id)
	}
}

// PersistSession implements SessionStore: the session is kept in memory until it is
// restored, expires, or is pushed out by newer ones (Recovery.MaxSessions). It does
// nothing when recovery is off.
func (m *memory) PersistSession(s *Session) error {
	if m.rec != nil {
		m.rec.persist(s)
	}
	return nil
}

// RestoreSession implements SessionStore.
func (m *memory) RestoreSession(_ context.Context, pid, offset string) (*Session, error) {
	if m.rec == nil {
		return nil, nil
	}
	return m.rec.restore(pid, offset), nil
}
