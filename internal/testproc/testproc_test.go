package testproc

import (
	"bufio"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

const childEnv = "SOCKGATE_TESTPROC_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "echo":
		// Echoes its input line by line, then exits when the input closes.
		fmt.Println("ready")
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			fmt.Println("echo " + sc.Text())
		}
		os.Exit(0)
	case "fail":
		fmt.Println("ready")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		os.Exit(3)
	case "deaf":
		// Ignores its input closing: only a kill ends it.
		fmt.Println("ready")
		time.Sleep(time.Hour)
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

func TestEchoAndStop(t *testing.T) {
	p := Start(t, childEnv+"=echo")
	if line, err := p.ReadLine(); line != "ready" || err != nil {
		t.Fatalf("first line %q, %v", line, err)
	}
	if _, err := fmt.Fprintln(p.stdin, "hello"); err != nil {
		t.Fatal(err)
	}
	if line, err := p.ReadLine(); line != "echo hello" || err != nil {
		t.Fatalf("echo %q, %v", line, err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop = %v, want a clean exit", err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("second Stop = %v", err)
	}
}

func TestStopReportsExitStatus(t *testing.T) {
	p := Start(t, childEnv+"=fail")
	if line, _ := p.ReadLine(); line != "ready" {
		t.Fatalf("first line %q", line)
	}
	if err := p.Stop(); err == nil {
		t.Fatal("Stop = nil for a child that exited with status 3")
	}
}

func TestStopKillsAChildThatDoesNotExit(t *testing.T) {
	old := stopWait
	stopWait = 100 * time.Millisecond
	t.Cleanup(func() { stopWait = old })
	p := Start(t, childEnv+"=deaf")
	if line, _ := p.ReadLine(); line != "ready" {
		t.Fatalf("first line %q", line)
	}
	start := time.Now()
	if err := p.Stop(); err == nil {
		t.Fatal("Stop = nil for a killed child")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Stop took %v", d)
	}
}

func TestCleanupStopsTheChild(t *testing.T) {
	var p *Proc
	t.Run("inner", func(t *testing.T) {
		p = Start(t, childEnv+"=echo")
		if line, _ := p.ReadLine(); line != "ready" {
			t.Fatalf("first line %q", line)
		}
	})
	if p.done != nil {
		t.Fatal("the child was not stopped when its test ended")
	}
	if p.cmd.ProcessState == nil || !p.cmd.ProcessState.Exited() {
		t.Fatalf("child state %v, want exited", p.cmd.ProcessState)
	}
}
