package engineio

import (
	"errors"
	"runtime"
	"syscall"
	"unsafe"
)

// rawIO says whether sockets are read and written with raw, non-blocking calls.
const rawIO = true

// iovMax is the most buffers one writev takes (IOV_MAX on Linux).
const iovMax = 1024

// writev writes bufs with one writev(2), returning the bytes written.
func writev(fd int, bufs [][]byte) (int, error) {
	var small [8]syscall.Iovec
	iov := small[:0]
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if len(iov) == iovMax {
			break
		}
		v := syscall.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	if len(iov) == 0 {
		return 0, nil
	}
	call := uintptr(syscall.SYS_WRITEV)
	arg1, arg2 := uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov))
	if len(iov) == 1 {
		// One buffer (a shared frame): the plain write is the cheaper call.
		call, arg1, arg2 = syscall.SYS_WRITE, uintptr(unsafe.Pointer(iov[0].Base)), uintptr(iov[0].Len)
	}
	n, _, errno := syscall.Syscall(call, uintptr(fd), arg1, arg2)
	runtime.KeepAlive(bufs)
	if errno != 0 {
		if errno == syscall.EAGAIN {
			return 0, errWouldBlock
		}
		return 0, errno
	}
	return int(n), nil
}

func (ws *writeScratch) do(fd uintptr) bool {
	for {
		ws.n, ws.err = writev(int(fd), ws.bufs)
		if ws.err != syscall.EINTR {
			return true
		}
	}
}

// writevNB writes ws.bufs once, without waiting for the socket; errWouldBlock when it
// took nothing.
func writevNB(rc syscall.RawConn, ws *writeScratch) (int, error) {
	err := rc.Write(ws.fn)
	n, werr := ws.n, ws.err
	ws.err = nil
	if err != nil {
		return 0, err
	}
	return n, werr
}

// writevAll writes bufs, parking on the runtime's poller while the socket is full, within
// the connection's write deadline.
func writevAll(rc syscall.RawConn, bufs [][]byte) error {
	bufs = append([][]byte(nil), bufs...) // consumed below
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		for len(bufs) > 0 {
			n, err := writev(int(fd), bufs)
			switch {
			case errors.Is(err, errWouldBlock):
				return false
			case err == syscall.EINTR:
				continue
			case err != nil:
				werr = err
				return true
			}
			bufs = consumed(bufs, n)
		}
		return true
	})
	if err != nil {
		return err
	}
	return werr
}

// rawRead is a poller's non-blocking reader, its callback bound once (see rawWrite).
type rawRead struct {
	rc  syscall.RawConn
	p   []byte
	n   int
	err error
	fn  func(fd uintptr) bool
}

func newRawRead() *rawRead {
	rr := new(rawRead)
	rr.fn = rr.do
	return rr
}

func (rr *rawRead) do(fd uintptr) bool {
	for {
		rr.n, rr.err = syscall.Read(int(fd), rr.p)
		if rr.err != syscall.EINTR {
			return true
		}
	}
}

// Read reads once without waiting; errWouldBlock when nothing is there.
func (rr *rawRead) Read(p []byte) (int, error) {
	rr.p = p
	err := rr.rc.Read(rr.fn)
	n, rerr := rr.n, rr.err
	rr.p, rr.err = nil, nil
	if err != nil {
		return 0, err
	}
	if rerr == syscall.EAGAIN {
		return 0, errWouldBlock
	}
	if n < 0 {
		n = 0
	}
	return n, rerr
}
