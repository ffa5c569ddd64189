package gateway

import (
	"context"
	"slices"
	"time"
)

// socketContext is the context of a socket (Socket.Context): cancelled when the socket
// disconnects, with no deadline and no values. It lives in the Socket itself, a pointer
// in an interface, so that a socket costs no context allocation; its Done channel is made
// at the first Done call. It implements the AfterFunc method the context package looks
// for, so that contexts derived from it (context.WithCancel, WithTimeout, AfterFunc) are
// cancelled with it without a goroutine each.
type socketContext struct{ s *Socket }

// canceledErr is the error of a socket's ended context; Cause gives the same.
var canceledErr = context.Canceled

// ctxAfterFunc is one function registered by AfterFunc; its identity is its pointer.
type ctxAfterFunc struct{ f func() }

func (socketContext) Deadline() (time.Time, bool) { return time.Time{}, false }

func (c socketContext) Done() <-chan struct{} {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = make(chan struct{})
		if s.ctxEnded.Load() {
			close(s.done)
		}
	}
	return s.done
}

func (c socketContext) Err() error {
	if c.s.ctxEnded.Load() {
		return canceledErr
	}
	return nil
}

func (socketContext) Value(any) any { return nil }

func (socketContext) String() string { return "gateway.Socket.Context" }

// AfterFunc arranges for f to be called once the context is cancelled, and returns the
// function that cancels that arrangement, as context.AfterFunc describes. f runs on the
// goroutine that ends the socket, outside its lock; the context package passes only its
// own short cancellations here (it runs a user's AfterFunc on a goroutine of its own).
func (c socketContext) AfterFunc(f func()) (stop func() bool) {
	s := c.s
	s.mu.Lock()
	if s.ctxEnded.Load() {
		s.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	a := &ctxAfterFunc{f: f}
	x := s.extrasLocked()
	x.afterFuncs = append(x.afterFuncs, a)
	s.mu.Unlock()
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		i := slices.Index(x.afterFuncs, a)
		if i < 0 {
			return false // already run, or already stopped
		}
		x.afterFuncs = slices.Delete(x.afterFuncs, i, i+1)
		return true
	}
}

// endContextLocked cancels the socket's context and returns the functions registered by
// AfterFunc, which the caller runs once it has released s.mu. Later calls return nothing.
// s.mu is held.
func (s *Socket) endContextLocked() []*ctxAfterFunc {
	if s.ctxEnded.Swap(true) {
		return nil
	}
	if s.done != nil {
		close(s.done)
	}
	x := s.extras
	if x == nil {
		return nil
	}
	fns := x.afterFuncs
	x.afterFuncs = nil
	return fns
}

// runAfterFuncs runs what endContextLocked returned.
func runAfterFuncs(fns []*ctxAfterFunc) {
	for _, a := range fns {
		a.f()
	}
}
