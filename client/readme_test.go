package client_test

import (
	"os"
	"strings"
	"testing"
)

// The Go client section of the README shows code from the examples of client and
// gatewaytest, where it runs; it must show it as it is.
func TestREADMESnippetsRun(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var examples []byte
	for _, f := range []string{"example_test.go", "../gateway/gatewaytest/example_test.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		examples = append(examples, b...)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Go client\n")
	if !ok {
		t.Fatal(`README.md has no "## Go client" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := strings.Split(section, "```go\n")[1:]
	if len(blocks) < 3 {
		t.Fatalf("the Go client section has %d Go snippets, want connect, emit with ack and reconnection", len(blocks))
	}
	for _, b := range blocks {
		code, _, _ := strings.Cut(b, "```")
		if !strings.Contains(string(examples), code) {
			t.Errorf("README snippet not found in the examples of client and gatewaytest:\n%s", code)
		}
	}
}
