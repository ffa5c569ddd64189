package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The Node tools of these tests live in testdata/tsc (npm ci there; make test does it):
// the TypeScript compiler with socket.io-client's types, and the AsyncAPI specification's
// JSON Schemas with a validator. The files they check are the committed ones, which
// TestGolden proves to be the generator's output.

// nodeTool returns the path of a file installed in testdata/tsc/node_modules. With
// SOCKGATE_INTEROP=1, as in make test, a missing tool fails the test instead of skipping
// it.
func nodeTool(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("testdata", "tsc", "node_modules", rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("SOCKGATE_INTEROP") == "1" {
			t.Fatalf("%v: run npm ci in cmd/sockgate/testdata/tsc", err)
		}
		t.Skipf("%v: run npm ci in cmd/sockgate/testdata/tsc", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is required: %v", err)
	}
	return p
}

// TestTypeScriptCompiles type-checks the generated TypeScript of the fixtures and of the
// chat example with the TypeScript compiler in strict mode, against socket.io-client's own
// types, together with testdata/tsc/usage.ts: typed sockets used as the README shows, and
// misuses marked @ts-expect-error that the types must refuse.
func TestTypeScriptCompiles(t *testing.T) {
	tsc := nodeTool(t, filepath.Join(".bin", "tsc"))
	cmd := exec.Command(tsc, "-p", filepath.Join("testdata", "tsc"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tsc: %v\n%s", err, out)
	}
}

// TestAsyncAPIValidates validates the generated AsyncAPI documents of the fixtures and of
// the chat example against the AsyncAPI 3.0.0 JSON Schema of @asyncapi/specs, payload
// schemas included.
func TestAsyncAPIValidates(t *testing.T) {
	nodeTool(t, filepath.Join("@asyncapi", "specs"))
	docs := []string{"../basic/asyncapi.json", "../multi/asyncapi.json", "../e2e/asyncapi.json",
		"../../../../examples/chat/asyncapi.json"}
	cmd := exec.Command("node", append([]string{"validate-asyncapi.mjs"}, docs...)...)
	cmd.Dir = filepath.Join("testdata", "tsc")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("AsyncAPI validation: %v\n%s", err, out)
	}
	// The validator refuses what is not AsyncAPI 3.0.
	broken := filepath.Join(t.TempDir(), "broken.json")
	if err := os.WriteFile(broken, []byte(`{"asyncapi":"3.0.0","info":{"title":"x","version":"1"},"operations":{"o":{"action":"bogus","channel":{"$ref":"#/channels/c"}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("node", "validate-asyncapi.mjs", broken)
	cmd.Dir = filepath.Join("testdata", "tsc")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("a broken document passed:\n%s", out)
	}
}

// TestReadmeTypeScript compiles the README's TypeScript snippet, next to the chat's
// generated sockgate-events.ts, against socket.io-client's types.
func TestReadmeTypeScript(t *testing.T) {
	tsc := nodeTool(t, filepath.Join(".bin", "tsc"))
	readme := string(readFile(t, filepath.Join("..", "..", "README.md")))
	const open = "```ts\n"
	i := strings.Index(readme, open)
	if i < 0 {
		t.Fatal("no TypeScript block in the README")
	}
	snippet := readme[i+len(open):]
	snippet = snippet[:strings.Index(snippet, "```")]
	if !strings.Contains(snippet, `from "./sockgate-events"`) {
		t.Fatalf("the README's snippet does not import ./sockgate-events:\n%s", snippet)
	}
	dir := t.TempDir()
	events := readFile(t, filepath.Join("..", "..", "examples", "chat", "web", "sockgate-events.ts"))
	client, err := filepath.Abs(filepath.Join("testdata", "tsc", "node_modules", "socket.io-client"))
	if err != nil {
		t.Fatal(err)
	}
	tsconfig := `{"compilerOptions": {"strict": true, "noEmit": true, "target": "es2022", "module": "esnext",
		"moduleResolution": "bundler", "lib": ["es2022", "dom"], "types": [],
		"paths": {"socket.io-client": [` + strconv.Quote(client) + `]}},
		"files": ["readme.ts"]}`
	for name, data := range map[string][]byte{"sockgate-events.ts": events, "readme.ts": []byte(snippet + "\nexport {};\n"),
		"tsconfig.json": []byte(tsconfig)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tscAbs, err := filepath.Abs(tsc)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tscAbs, "-p", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tsc on the README's snippet: %v\n%s\n%s", err, out, snippet)
	}
}
