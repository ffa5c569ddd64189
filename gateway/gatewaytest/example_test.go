package gatewaytest_test

import (
	"fmt"
	"testing"

	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
)

// The seed scenario: a client connects, the server emits "hello" with "world", and the
// test asserts that it arrives. In a real test, t is the test's *testing.T.
func Example() {
	t := newExampleT()
	defer t.cleanup()

	srv := gatewaytest.NewServer(t, gateway.Config{})
	srv.OnConnection(func(s *gateway.Socket) {
		_ = s.Emit("hello", "world")
	})

	c := srv.Dial(t, "/")
	var got string
	if err := c.Expect(t, "hello").Args.Decode(0, &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	fmt.Println("hello", got)
	// Output: hello world
}

// exampleT stands in for the *testing.T of a test so that the example runs as a program.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func newExampleT() *exampleT { return &exampleT{} }

func (t *exampleT) Helper()           {}
func (t *exampleT) Cleanup(fn func()) { t.cleanups = append(t.cleanups, fn) }
func (t *exampleT) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

func (t *exampleT) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
