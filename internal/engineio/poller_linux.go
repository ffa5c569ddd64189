package engineio

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"syscall"
)

// poller watches the sockets of websocket sessions with its own epoll set, so that an
// idle session needs no goroutine: the epoll descriptor itself is waited on through the
// runtime's network poller, and one goroutine reads every socket that becomes readable,
// so a socket is only ever read by one goroutine at a time. Sockets are registered
// edge-triggered: each new arrival of data raises an event, and a socket is read until
// a short read (or, to share the goroutine fairly, a few reads, then again after the
// other ready sockets).
type poller struct {
	epfd int
	file *os.File // epfd, for the runtime's poller
	rc   syscall.RawConn
	done chan struct{}

	mu    sync.Mutex // guards conns
	conns map[int32]*pollee
}

type pollee struct {
	c  *Conn
	w  *wsConn
	dg *detachedGet // set for a detached polling GET, whose socket only says the client left
}

// canDetach says that polling GETs can leave net/http while they wait (detach.go).
const canDetach = true

const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | -syscall.EPOLLET

// pollScratch is each poller's read buffer; larger frames get buffers of their own.
const pollScratch = 64 << 10

func newPoller() (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return nil, os.NewSyscallError("setnonblock", err)
	}
	f := os.NewFile(uintptr(epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &poller{epfd: epfd, file: f, rc: rc, done: make(chan struct{}), conns: make(map[int32]*pollee)}, nil
}

// add starts watching w for session c. The epoll calls run inside rc.Control, which
// holds the descriptor open: a descriptor number closed and reused by another socket
// meanwhile is never registered in w's name.
func (p *poller) add(c *Conn, w *wsConn) error {
	return p.addPollee(&pollee{c: c, w: w})
}

func (p *poller) addPollee(pe *pollee) error {
	w := pe.w
	var aerr error
	err := w.rc.Control(func(fd uintptr) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.conns[int32(fd)] = pe
		w.poller.Store(p)
		ev := syscall.EpollEvent{Events: pollEvents, Fd: int32(fd)}
		if aerr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev); aerr != nil {
			delete(p.conns, int32(fd))
			w.poller.Store(nil)
		}
	})
	if err == nil {
		err = aerr
	}
	if err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	if w.closed.Load() {
		p.remove(w) // closed while being added: nothing may keep it
	}
	return nil
}

// remove stops watching w; w.close calls it before closing the descriptor.
func (p *poller) remove(w *wsConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pe := p.conns[int32(w.fd)]
	if pe == nil || pe.w != w {
		return
	}
	delete(p.conns, int32(w.fd))
	_ = w.rc.Control(func(fd uintptr) {
		_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	})
}

// run is the poller's goroutine; it ends when the poller is closed.
func (p *poller) run() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 128)
	scratch := make([]byte, pollScratch)
	rr := newRawRead()
	var again, next []*pollee // sockets left with data after their share of reads
	var n int
	park := true
	wait := func(fd uintptr) bool {
		var werr error
		n, werr = syscall.EpollWait(int(fd), events, 0)
		if werr != nil {
			n = 0
			return werr != syscall.EINTR // an error other than EINTR: look again below
		}
		return n > 0 || !park
	}
	read := func(pe *pollee) {
		rr.rc = pe.w.rc
		var st readState
		if pe.dg != nil {
			st = pe.c.detachedReadable(pe.dg, scratch, rr)
		} else {
			st = pe.c.readReady(pe.w, scratch, rr)
		}
		if st == readAgain {
			next = append(next, pe)
		}
	}
	for {
		park = len(again) == 0
		if err := p.rc.Read(wait); err != nil {
			return // closed
		}
		for i := 0; i < n; i++ {
			p.mu.Lock()
			pe := p.conns[events[i].Fd]
			p.mu.Unlock()
			if pe != nil {
				read(pe)
			}
		}
		for _, pe := range again {
			p.mu.Lock()
			still := p.conns[int32(pe.w.fd)] == pe
			p.mu.Unlock()
			if still {
				read(pe)
			}
		}
		clear(again)
		again, next = next, again[:0]
	}
}

// close stops the poller and waits for its goroutine.
func (p *poller) close() {
	_ = p.file.Close()
	<-p.done
}

// pollers are a server's readiness pollers, started with its first websocket session.
type pollers struct {
	mu   sync.Mutex
	list []*poller
	next int
	err  error // the poller could not start: sessions fall back to reader goroutines
}

// watch hands w to a poller; without one (not Linux, or no epoll) it starts a reader
// goroutine for w instead.
func (s *Server) watch(c *Conn, w *wsConn) {
	if w.rc != nil && w.fd >= 0 {
		if p := s.pollers.pick(); p != nil && p.add(c, w) == nil {
			return
		}
	}
	// The reader's share of the wait group is taken through the socket, which holds one
	// while it is open: a socket closed meanwhile (Close racing the handshake) needs no
	// reader, and a share taken after Close's Wait would be a misuse of the group.
	if w.acquire() {
		go c.readBlocking(w)
	}
}

// watchDetached hands a detached GET's socket to a poller; false when there is none.
func (s *Server) watchDetached(c *Conn, dg *detachedGet) bool {
	if dg.w.rc == nil || dg.w.fd < 0 {
		return false
	}
	p := s.pollers.pick()
	return p != nil && p.addPollee(&pollee{c: c, w: dg.w, dg: dg}) == nil
}

func (ps *pollers) pick() *poller {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.err != nil {
		return nil
	}
	if ps.list == nil {
		for range max(1, runtime.GOMAXPROCS(0)) {
			p, err := newPoller()
			if err != nil {
				ps.err = err
				break
			}
			ps.list = append(ps.list, p)
			go p.run()
		}
		if len(ps.list) == 0 {
			return nil
		}
	}
	p := ps.list[ps.next%len(ps.list)]
	ps.next++
	return p
}

// stop closes every poller; the server's sessions are closed by then.
func (ps *pollers) stop() {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.err = errors.New("engineio: server closed")
	ps.mu.Unlock()
	for _, p := range list {
		p.close()
	}
}
