package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata with the generator's output")

// fixtures are the testdata packages with committed generated files.
var fixtures = []string{"basic", "multi", "e2e", "stale"}

var (
	generatedOnce sync.Once
	generatedAll  map[string][]genFile // by fixture
	generatedErr  error
)

// generatedFixtures generates every output of the fixtures in one load (loading is the slow
// part) and returns the files of fixture pkg.
func generatedFixtures(t *testing.T, pkg string) []genFile {
	t.Helper()
	generatedOnce.Do(func() {
		var patterns []string
		for _, f := range fixtures {
			patterns = append(patterns, "./testdata/"+f)
		}
		files, err := generate(".", genOptions{goCode: true, ts: "sockgate-events.ts", asyncapi: "asyncapi.json", version: "1.0.0"}, patterns...)
		generatedAll, generatedErr = map[string][]genFile{}, err
		for _, f := range files {
			pkg := filepath.Base(filepath.Dir(f.path))
			generatedAll[pkg] = append(generatedAll[pkg], f)
		}
	})
	if generatedErr != nil {
		t.Fatal(generatedErr)
	}
	return generatedAll[pkg]
}

// generatedFile returns the generated file named name of fixture pkg.
func generatedFile(t *testing.T, pkg, name string) genFile {
	t.Helper()
	for _, f := range generatedFixtures(t, pkg) {
		if filepath.Base(f.path) == name {
			return f
		}
	}
	t.Fatalf("%s: no %s generated", pkg, name)
	return genFile{}
}

// TestGolden generates the outputs of every testdata package and compares them with the
// committed files next to the package's source, which are the golden files; -update
// rewrites them.
func TestGolden(t *testing.T) {
	for _, pkg := range []string{"basic", "multi", "e2e"} {
		t.Run(pkg, func(t *testing.T) {
			files := generatedFixtures(t, pkg)
			if len(files) != 3 {
				t.Fatalf("%d files generated, want 3", len(files))
			}
			for _, f := range files {
				rel, _ := filepath.Rel(mustAbs(t, "."), f.path)
				if *update {
					if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(f.path)
				if err != nil {
					t.Fatalf("%v (run go test -update to write it)", err)
				}
				if !bytes.Equal(f.data, want) {
					t.Errorf("%s differs from the generator's output (go test -update rewrites it):\n%s", rel, diffLines(want, f.data))
				}
			}
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// diffLines shows the first lines where a and b differ.
func diffLines(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	var out []string
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, "line "+itoa(i+1)+":\n  golden:    "+x+"\n  generated: "+y)
			if len(out) == 5 {
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestAsyncAPIDocument checks the parts of the AsyncAPI document a consumer relies on,
// beyond the golden bytes: version, valid references, and the schemas of validate tags.
func TestAsyncAPIDocument(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(generatedFile(t, "basic", "asyncapi.json").data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["asyncapi"] != "3.0.0" || doc["info"].(map[string]any)["version"] != "1.0.0" {
		t.Errorf("asyncapi %v, info %v", doc["asyncapi"], doc["info"])
	}
	// Every $ref resolves.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, ok := resolvePointer(doc, ref); !ok {
					t.Errorf("unresolved $ref %q", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	msg, _ := resolvePointer(doc, "#/components/schemas/Message")
	props := msg.(map[string]any)["properties"].(map[string]any)
	text := props["text"].(map[string]any)
	if text["maxLength"] != 1000.0 || text["minLength"] != 1.0 || text["type"] != "string" {
		t.Errorf("text schema %v, want a string of 1 to 1000 characters", text)
	}
	if req := msg.(map[string]any)["required"].([]any); len(req) != 1 || req[0] != "text" {
		t.Errorf("required %v, want [text]", req)
	}
	if score := props["score"].(map[string]any); score["minimum"] != 0.0 || score["exclusiveMaximum"] != 10.0 {
		t.Errorf("score schema %v", score)
	}
	tags := props["tags"].(map[string]any)
	if items := tags["items"].(map[string]any); tags["maxItems"] != 5.0 || items["minLength"] != 1.0 || items["maxLength"] != 20.0 {
		t.Errorf("tags schema %v, want at most 5 items of 1 to 20 characters (the rules after dive are the elements')", tags)
	}
	if _, ok := props["sent"]; !ok {
		t.Errorf("the embedded struct's fields are missing: %v", props)
	}
	for _, gone := range []string{"Hidden", "internal", "Meta"} {
		if _, ok := props[gone]; ok {
			t.Errorf("property %s should not be there", gone)
		}
	}
	level, _ := resolvePointer(doc, "#/components/schemas/Level")
	if enum := level.(map[string]any)["enum"].([]any); len(enum) != 3 || enum[0] != "quiet" {
		t.Errorf("Level enum %v, want its three constants", enum)
	}
	op, _ := resolvePointer(doc, "#/operations/root.receive.message")
	if op.(map[string]any)["x-rate-limit"] != "20/s" {
		t.Errorf("the rate limit is missing from %v", op)
	}
}

func resolvePointer(doc map[string]any, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// TestGenErrors checks that a broken declaration is refused with every problem named, as
// the runtime's registration names them.
func TestGenErrors(t *testing.T) {
	_, err := generate(".", genOptions{ts: "-", asyncapi: "-"}, "./testdata/bad")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		`bad.go:12:`,
		"BadGateway.Gateway `namespace:\"chat\"`: decorators: namespace:\"chat\": invalid tag value",
		`colour:"red": unknown tag key`,
		`ws:"disconnect": reserved event name`,
		`no method OnMissing for event "missing"`,
		`event "twice" is already handled by field _ (field 4)`,
		`method OnChan: parameter 1 (chan int): a chan cannot be decoded`,
		`method OnResults: with two results, the second must be error`,
		`ws:"connect": reserved event name`,
		`payload func(): a func cannot be decoded`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}
}

// TestPosLess checks the order of declarations across files: by file name, then offset,
// not by position, which depends on the order the files were parsed in (in parallel).
func TestPosLess(t *testing.T) {
	fset := token.NewFileSet()
	b := fset.AddFile("b.go", -1, 100) // parsed first: lower positions
	a := fset.AddFile("a.go", -1, 100)
	if !posLess(fset, a.Pos(10), b.Pos(5)) || posLess(fset, b.Pos(5), a.Pos(10)) {
		t.Error("a.go does not come before b.go")
	}
	if !posLess(fset, b.Pos(1), b.Pos(2)) || posLess(fset, b.Pos(2), b.Pos(1)) {
		t.Error("offsets within a file out of order")
	}
}

func TestTSQuote(t *testing.T) {
	for in, want := range map[string]string{
		"message":      `"message"`,
		"chat:message": `"chat:message"`,
		`a"b\c`:        `"a\"b\\c"`,
		"é<&>":         `"é<&>"`,
		"\x01":         `"\u0001"`,
		"\U000F0000":   "\"\U000F0000\"", // Go would write \U000f0000, which JavaScript does not read
	} {
		if got := tsQuote(in); got != want {
			t.Errorf("tsQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
