// Package testproc runs the test binary itself as a helper process, so that a benchmark
// can keep the other side of a connection (the clients, or the server) out of the heap it
// measures. The child runs no tests (-test.run=^$); its TestMain sees the variable given to
// Start and becomes the helper. It talks over its standard input and output: closing its
// input asks it to finish.
package testproc

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"
)

// stopWait is how long Stop and the cleanup wait for the child to exit after its input
// closes, before it is killed.
var stopWait = 10 * time.Second

// Proc is a running child process.
type Proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	done   chan error
	err    error
}

// Start runs the test binary with env ("NAME=value") added to its environment. The child
// is stopped when tb ends, if Stop was not called before.
func Start(tb testing.TB, env string) *Proc {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &Proc{cmd: cmd, stdin: stdin, stdout: bufio.NewReader(stdout), done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	tb.Cleanup(func() { _ = p.Stop() })
	return p
}

// ReadLine returns the next line the child writes, without its line end.
func (p *Proc) ReadLine() (string, error) {
	line, err := p.stdout.ReadString('\n')
	if len(line) > 0 && line[len(line)-1] == '\n' {
		line = line[:len(line)-1]
	}
	return line, err
}

// Stop closes the child's input and waits for it to exit, killing it (by its pid) when it
// has not after 10 s. It returns how the child ended; later calls return the same.
func (p *Proc) Stop() error {
	if p.done == nil {
		return p.err
	}
	_ = p.stdin.Close()
	t := time.NewTimer(stopWait)
	defer t.Stop()
	select {
	case p.err = <-p.done:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		p.err = <-p.done
	}
	p.done = nil
	return p.err
}
