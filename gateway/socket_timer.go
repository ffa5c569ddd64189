package gateway

import "time"

// DisconnectAfter disconnects the socket from its namespace after d, as Disconnect does
// (the client sees "io server disconnect" and does not reconnect by itself), but with
// reason, which the socket's OnDisconnect handlers and hooks receive. A later call
// replaces the earlier schedule; a d of zero or less disconnects at once. The timer ends
// with the socket, whichever way it leaves; it holds no goroutine while it waits.
//
// Guards use it to end a socket when its credentials expire (see package auth).
func (s *Socket) DisconnectAfter(d time.Duration, reason DisconnectReason) {
	if d <= 0 {
		s.onClose(reason, true)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.Load() == stateClosed {
		return
	}
	x := s.extrasLocked()
	if x.timer != nil {
		x.timer.Stop()
	}
	x.timer = time.AfterFunc(d, func() { s.onClose(reason, true) })
}

// stopTimerLocked stops the timer of DisconnectAfter. s.mu must be held.
func (s *Socket) stopTimerLocked() {
	if x := s.extras; x != nil && x.timer != nil {
		x.timer.Stop()
		x.timer = nil
	}
}
