package client_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) == "1" {
		// Re-executed by a benchmark as its server process; see serveBenchServer.
		serveBenchServer()
		return
	}
	goleak.VerifyTestMain(m)
}
