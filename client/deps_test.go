package client_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The client links the Engine.IO codec, not the server's transport (upgrader, pollers,
// sessions) nor the gateway runtime.
func TestClientLinksNoServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch pkg {
		case "github.com/sockgate/sockgate/internal/engineio",
			"github.com/sockgate/sockgate/gateway",
			"github.com/sockgate/sockgate/adapter":
			t.Errorf("the client links %s", pkg)
		}
	}
}
