package runner

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockgate/sockgate/bench/gen/gentest"
)

// TestZishangServer builds the zishang520/socket.io bench server (its own Go module, so
// the build fetches its dependencies through the module proxy) and runs every generator
// scenario, scaled down, against it. Without SOCKGATE_INTEROP it is skipped in -short
// runs, since the build takes a while.
func TestZishangServer(t *testing.T) {
	if testing.Short() && os.Getenv("SOCKGATE_INTEROP") == "" {
		t.Skip("builds a separate Go module; run without -short or with SOCKGATE_INTEROP=1")
	}
	root := repoRoot(t)
	bin := filepath.Join(t.TempDir(), "zishang")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(root, "bench", "zishang")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building bench/zishang: %v\n%s", err, out)
	}
	port := freePort(t)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:"+strconv.Itoa(port))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if !sent && strings.Contains(sc.Text(), "bench server on") {
				ready <- true
				sent = true
			}
		}
		if !sent {
			ready <- false
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("the zishang server exited before listening")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the zishang server did not start in 15s")
	}
	gentest.Run(t, "127.0.0.1:"+strconv.Itoa(port))
}

// repoRoot is the directory of the main module's go.mod above the test.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for ; ; dir = filepath.Dir(dir) {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/sockgate/sockgate\n") {
			return dir
		}
		if dir == filepath.Dir(dir) {
			t.Fatal("no go.mod of github.com/sockgate/sockgate above the test")
		}
	}
}
