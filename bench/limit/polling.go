package limit

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockgate/sockgate/bench/proto"
)

// pollSession is a polling session until its upgrade: just enough state for the
// handshake, the CONNECT and the probe.
type pollSession struct {
	srv   *Server
	sid   string
	rooms []string

	mu      sync.Mutex
	pending [][]byte      // packets for the next GET
	wake    chan struct{} // a parked GET waits on it
	probe   *websocket.Conn
}

var textPlain = []string{"text/plain; charset=UTF-8"}

func (s *Server) pollHandshake(w http.ResponseWriter, q url.Values) {
	sid := s.newSID()
	p := &pollSession{srv: s, sid: sid, rooms: roomsOf(q), wake: make(chan struct{}, 1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	s.polls[sid] = p
	s.mu.Unlock()
	w.Header()["Content-Type"] = textPlain
	_, _ = w.Write(s.openPacket(sid, true))
}

func (p *pollSession) post(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, p.srv.cfg.MaxPayload))
	if err != nil {
		return
	}
	proto.SplitPayload(body, func(pkt []byte) {
		if bytes.Equal(pkt, proto.Connect) {
			p.push(append([]byte(`40{"sid":"`), p.sid+`"}`...))
		}
	})
	w.Header()["Content-Type"] = textPlain
	_, _ = w.Write([]byte("ok"))
}

func (p *pollSession) push(b []byte) {
	p.mu.Lock()
	p.pending = append(p.pending, b)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// wakeWith hands b to the parked or next GET.
func (p *pollSession) wakeWith(b []byte) { p.push(b) }

// get answers with what is pending, parking up to the ping interval for it.
func (p *pollSession) get(w http.ResponseWriter, wait time.Duration) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		p.mu.Lock()
		out := p.pending
		p.pending = nil
		p.mu.Unlock()
		if len(out) > 0 {
			w.Header()["Content-Type"] = textPlain
			_, _ = w.Write(bytes.Join(out, []byte{0x1e}))
			return
		}
		select {
		case <-p.wake:
		case <-t.C:
			w.Header()["Content-Type"] = textPlain
			_, _ = w.Write(proto.Ping)
			return
		}
	}
}

// serveUpgrade runs the probe on a websocket carrying a polling sid, then serves the
// session over it.
func (s *Server) serveUpgrade(w http.ResponseWriter, r *http.Request, sid string) {
	s.mu.RLock()
	p := s.polls[sid]
	s.mu.RUnlock()
	if p == nil {
		http.Error(w, `{"code":1,"message":"Session ID unknown"}`, http.StatusBadRequest)
		return
	}
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(s.cfg.MaxPayload)
	s.mu.Lock()
	if s.closed || p.probe != nil {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	p.probe = ws
	s.wg.Add(1)
	s.mu.Unlock()
	go s.probe(p, ws)
}

func (s *Server) probe(p *pollSession, ws *websocket.Conn) {
	defer s.wg.Done()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, m, err := ws.ReadMessage()
		if err != nil {
			_ = ws.Close()
			return
		}
		switch {
		case bytes.Equal(m, proto.ProbePing):
			_ = ws.SetWriteDeadline(time.Now().Add(writeWait))
			if ws.WriteMessage(websocket.TextMessage, proto.ProbePong) != nil {
				_ = ws.Close()
				return
			}
			p.wakeWith(proto.Noop) // release a parked GET
		case bytes.Equal(m, proto.Upgrade):
			_ = ws.SetReadDeadline(time.Time{})
			c := &conn{ws: ws, sid: p.sid, rooms: p.rooms}
			s.mu.Lock()
			delete(s.polls, p.sid)
			closed := s.closed
			if !closed {
				s.conns[c] = struct{}{}
				s.wg.Add(1)
			}
			s.mu.Unlock()
			if closed {
				_ = ws.Close()
				return
			}
			// A CONNECT answered over polling joins now; one still to come will join.
			if len(p.rooms) > 0 {
				s.join(c)
				c.rooms = nil
			}
			s.serve(c)
			return
		}
	}
}
