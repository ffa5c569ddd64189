package limit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockgate/sockgate/bench/proto"
)

// Config sets the protocol values advertised and the gorilla buffers. Zero values mean
// socket.io's defaults and gorilla settings equal to sockgate's defaults.
type Config struct {
	// PingInterval and PingTimeout are advertised in the open packet; pings are sent every
	// PingInterval. Zero: 25s and 20s.
	PingInterval, PingTimeout time.Duration
	// MaxPayload is the read limit and the advertised maxPayload. Zero: 1e6.
	MaxPayload int64
	// ReadBufferSize and WriteBufferSize size gorilla's buffers; write buffers come from a
	// pool. Zero: 1024 and 4096.
	ReadBufferSize, WriteBufferSize int
}

func (c Config) withDefaults() Config {
	if c.PingInterval <= 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = 20 * time.Second
	}
	if c.MaxPayload <= 0 {
		c.MaxPayload = 1e6
	}
	if c.ReadBufferSize <= 0 {
		c.ReadBufferSize = 1024
	}
	if c.WriteBufferSize <= 0 {
		c.WriteBufferSize = 4096
	}
	return c
}

// writeWait bounds every write, as in sockgate.
const writeWait = 10 * time.Second

// Server is the limit server, an http.Handler for the Engine.IO path.
type Server struct {
	cfg      Config
	up       websocket.Upgrader
	open     []byte // open packet template without the sid, for length only
	pingMsg  *websocket.PreparedMessage
	sidSeq   atomic.Uint64
	wg       sync.WaitGroup
	stopPing chan struct{}

	// mu guards rooms, conns, polls and closed.
	mu     sync.RWMutex
	rooms  map[string]*room
	conns  map[*conn]struct{}
	polls  map[string]*pollSession
	closed bool
}

type room struct{ members []*conn }

// conn is one websocket session. Its rooms are fixed by its handshake.
type conn struct {
	ws    *websocket.Conn
	sid   string
	rooms []string
	slots []slot // its index in each joined room's slice; guarded by Server.mu

	wmu sync.Mutex // serializes writes
}

type slot struct {
	r *room
	i int
}

// New returns a Server; its ping ticker runs until Close.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg: cfg,
		up: websocket.Upgrader{
			ReadBufferSize:  cfg.ReadBufferSize,
			WriteBufferSize: cfg.WriteBufferSize,
			WriteBufferPool: &sync.Pool{},
			CheckOrigin:     func(*http.Request) bool { return true },
		},
		stopPing: make(chan struct{}),
		rooms:    make(map[string]*room),
		conns:    make(map[*conn]struct{}),
		polls:    make(map[string]*pollSession),
	}
	s.pingMsg, _ = websocket.NewPreparedMessage(websocket.TextMessage, proto.Ping)
	s.wg.Add(1)
	go s.pingLoop()
	return s
}

// Count returns the number of websocket sessions.
func (s *Server) Count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.conns)
}

// Close closes every connection and waits for the server's goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stopPing)
	for c := range s.conns {
		_ = c.ws.Close()
	}
	for _, p := range s.polls {
		p.wakeWith(proto.Noop)
		if p.probe != nil {
			_ = p.probe.Close()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) pingLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopPing:
			return
		case <-t.C:
		}
		s.mu.RLock()
		for c := range s.conns {
			_ = c.writePrepared(s.pingMsg)
		}
		s.mu.RUnlock()
	}
}

func (s *Server) newSID() string {
	// 20 characters like Node's ids; uniqueness is all the benchmark needs.
	var b [20]byte
	n := strconv.AppendUint(b[:0], s.sidSeq.Add(1), 36)
	out := make([]byte, 20)
	for i := range out {
		out[i] = '0'
	}
	copy(out[20-len(n):], n)
	return string(out)
}

func (s *Server) openPacket(sid string, upgrades bool) []byte {
	return proto.AppendOpen(nil, sid, upgrades, int(s.cfg.PingInterval/time.Millisecond),
		int(s.cfg.PingTimeout/time.Millisecond), int(s.cfg.MaxPayload))
}

// ServeHTTP answers Engine.IO requests (the caller routes the path).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("EIO") != "4" {
		http.Error(w, `{"code":5,"message":"Unsupported protocol version"}`, http.StatusBadRequest)
		return
	}
	sid := q.Get("sid")
	switch q.Get("transport") {
	case "websocket":
		if sid == "" {
			s.serveWebSocket(w, r, q)
		} else {
			s.serveUpgrade(w, r, sid)
		}
	case "polling":
		if sid == "" {
			s.pollHandshake(w, q)
			return
		}
		s.mu.RLock()
		p := s.polls[sid]
		s.mu.RUnlock()
		if p == nil {
			http.Error(w, `{"code":1,"message":"Session ID unknown"}`, http.StatusBadRequest)
			return
		}
		if r.Method == http.MethodPost {
			p.post(w, r)
		} else {
			p.get(w, s.cfg.PingInterval)
		}
	default:
		http.Error(w, `{"code":0,"message":"Transport unknown"}`, http.StatusBadRequest)
	}
}

func roomsOf(q url.Values) []string {
	v := q.Get("rooms")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, q url.Values) {
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	sid := s.newSID()
	c := &conn{ws: ws, sid: sid, rooms: roomsOf(q)}
	ws.SetReadLimit(s.cfg.MaxPayload)
	if err := c.write(s.openPacket(sid, false)); err != nil {
		_ = ws.Close()
		return
	}
	if !s.add(c) {
		_ = ws.Close()
		return
	}
	go s.serve(c) // the handler returns: its goroutine and request are released
}

// add registers a websocket session (rooms are joined on its "40").
func (s *Server) add(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) join(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range c.rooms {
		rm := s.rooms[name]
		if rm == nil {
			rm = &room{}
			s.rooms[name] = rm
		}
		c.slots = append(c.slots, slot{rm, len(rm.members)})
		rm.members = append(rm.members, c)
	}
}

func (s *Server) remove(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	for _, sl := range c.slots {
		rm := sl.r
		last := rm.members[len(rm.members)-1]
		rm.members[sl.i] = last
		for k := range last.slots {
			if last.slots[k].r == rm {
				last.slots[k].i = sl.i
			}
		}
		rm.members[len(rm.members)-1] = nil
		rm.members = rm.members[:len(rm.members)-1]
	}
	c.slots = nil
}

// readPool holds read buffers, taken only while a frame is being read, as sockgate does.
var readPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// serve is a connection's reader goroutine.
func (s *Server) serve(c *conn) {
	defer s.wg.Done()
	defer s.remove(c)
	defer c.ws.Close()
	for {
		_, rd, err := c.ws.NextReader()
		if err != nil {
			return
		}
		bp := readPool.Get().(*[]byte)
		buf, err := readAll(rd, (*bp)[:0])
		if err == nil {
			err = s.handle(c, buf)
		}
		if cap(buf) <= 64<<10 {
			*bp = buf[:0]
			readPool.Put(bp)
		}
		if err != nil {
			return
		}
	}
}

func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

var (
	echoName  = []byte("echo")
	bcastName = []byte("bcast")
)

// handle answers one text frame.
func (s *Server) handle(c *conn, f []byte) error {
	switch {
	case len(f) == 0:
		return nil
	case bytes.Equal(f, proto.Pong):
		return nil
	case bytes.Equal(f, proto.Connect):
		s.join(c)
		return c.write(append([]byte(`40{"sid":"`), c.sid+`"}`...))
	case f[0] == '1':
		return fmt.Errorf("limit: client closed")
	}
	ev, ok := proto.ParseEvent(f)
	if !ok {
		return nil
	}
	switch {
	case bytes.Equal(ev.Name, echoName) && len(ev.ID) > 0:
		bp := readPool.Get().(*[]byte)
		out := proto.AppendAckFor((*bp)[:0], ev)
		err := c.write(out)
		*bp = out[:0]
		readPool.Put(bp)
		return err
	case bytes.Equal(ev.Name, bcastName):
		name, payload, ok := proto.SplitFirstString(ev.Args)
		if !ok {
			return nil
		}
		s.broadcast(c, string(name), payload)
	}
	return nil
}

// broadcast writes one prepared frame to every member of the room but the sender.
func (s *Server) broadcast(from *conn, name string, payload []byte) {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, proto.AppendMessageEvent(nil, payload))
	if err != nil {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rm := s.rooms[name]
	if rm == nil {
		return
	}
	for _, c := range rm.members {
		if c != from {
			_ = c.writePrepared(pm) // a failed peer is dropped by its own reader
		}
	}
}

func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *conn) writePrepared(pm *websocket.PreparedMessage) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	return c.ws.WritePreparedMessage(pm)
}
