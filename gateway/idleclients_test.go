package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
)

// IdleClientsEnv, when set to "<address> <count>" in the environment of the test binary,
// makes it a client process instead (see TestMain): it opens count websocket sessions to
// address, connects each to namespace "/", prints "ready" on stdout, and holds them until
// its stdin closes. BenchmarkIdleSocketHeap runs it, so that the memory of the clients
// stays out of the server's heap.
const IdleClientsEnv = "SOCKGATE_IDLE_CLIENTS"

// runIdleClients is the client process of IdleClientsEnv; it returns the exit status.
func runIdleClients(spec string) int {
	addr, count, _ := strings.Cut(spec, " ")
	n, err := strconv.Atoi(count)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q: %v\n", IdleClientsEnv, spec, err)
		return 2
	}
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, err := dialIdleSession(addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "session %d: %v\n", i, err)
			return 1
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// dialIdleSession opens a websocket session with a handwritten handshake, reads the
// Engine.IO open packet, sends the Socket.IO CONNECT of "/" and reads its reply.
func dialIdleSession(addr string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	req := "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, err
		}
		if line == "\r\n" {
			break
		}
	}
	open, err := readTextFrame(br)
	if err != nil || !bytes.HasPrefix(open, []byte("0{")) {
		c.Close()
		return nil, fmt.Errorf("open packet %q: %v", open, err)
	}
	// "40", masked with a zero key as a client frame must be.
	if _, err := c.Write([]byte{0x81, 0x82, 0, 0, 0, 0, '4', '0'}); err != nil {
		c.Close()
		return nil, err
	}
	reply, err := readTextFrame(br)
	if err != nil || !bytes.HasPrefix(reply, []byte("40{")) {
		c.Close()
		return nil, fmt.Errorf("CONNECT reply %q: %v", reply, err)
	}
	if br.Buffered() > 0 {
		c.Close()
		return nil, errors.New("unexpected data after the CONNECT reply")
	}
	return c, nil
}

// readTextFrame reads one unmasked server frame of at most 64 KiB.
func readTextFrame(br *bufio.Reader) ([]byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, err
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		var ext [2]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			return nil, err
		}
		n = int(ext[0])<<8 | int(ext[1])
	} else if n == 127 {
		return nil, errors.New("frame too long")
	}
	p := make([]byte, n)
	_, err := io.ReadFull(br, p)
	return p, err
}
