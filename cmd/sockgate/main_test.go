package main

import (
	"testing"

	"go.uber.org/goleak"
)

// The runtime tests start servers and clients: none of their goroutines may outlive them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
