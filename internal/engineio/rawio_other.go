//go:build !linux

package engineio

import (
	"errors"
	"syscall"
)

// Without raw I/O every write that does not fit the first attempt goes to the writer
// goroutine; the framing is the same.

// rawIO says whether sockets are read and written with raw, non-blocking calls.
const rawIO = false

func writevNB(syscall.RawConn, *writeScratch) (int, error) { return 0, errWouldBlock }

func (ws *writeScratch) do(uintptr) bool { return true }

func writevAll(rc syscall.RawConn, bufs [][]byte) error {
	return errors.New("engineio: no raw writes on this platform")
}
