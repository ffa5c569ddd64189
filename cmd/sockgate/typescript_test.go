package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestTypeScriptCompiles type-checks the generated TypeScript of the fixtures and of the
// chat example with the TypeScript compiler, against socket.io-client's own types, in
// strict mode, together with testdata/tsc/usage.ts: typed sockets used as the README shows,
// and misuses marked @ts-expect-error that the types must refuse. The compiler comes from
// testdata/tsc (npm ci there; make test does it). With SOCKGATE_INTEROP=1, as in make
// test, a missing compiler fails the test instead of skipping it.
func TestTypeScriptCompiles(t *testing.T) {
	tsc := filepath.Join("testdata", "tsc", "node_modules", ".bin", "tsc")
	if _, err := os.Stat(tsc); err != nil {
		if os.Getenv("SOCKGATE_INTEROP") == "1" {
			t.Fatalf("the TypeScript compiler is missing (%v): run npm ci in cmd/sockgate/testdata/tsc", err)
		}
		t.Skipf("the TypeScript compiler is missing (%v): run npm ci in cmd/sockgate/testdata/tsc", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is required to run the TypeScript compiler: %v", err)
	}
	// The committed files are the generator's output: TestGolden checks that.
	cmd := exec.Command(tsc, "-p", filepath.Join("testdata", "tsc"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tsc: %v\n%s", err, out)
	}
}
