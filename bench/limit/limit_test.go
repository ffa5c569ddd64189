package limit

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/bench/benchsrv"
	"github.com/sockgate/sockgate/bench/gen"
	"github.com/sockgate/sockgate/bench/gen/gentest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestScenarios(t *testing.T) {
	srv := New(Config{})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	mux.Handle(benchsrv.MemPath, benchsrv.MemHandler(""))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	defer srv.Close()
	// The limit server keeps no session on polling: it is not run in those scenarios.
	var scenarios []string
	for _, sc := range gen.Scenarios {
		if !slices.Contains(gen.PollingScenarios, sc) {
			scenarios = append(scenarios, sc)
		}
	}
	gentest.RunScenarios(t, strings.TrimPrefix(hs.URL, "http://"), scenarios)
	if n := srv.Count(); n != 0 {
		// The generator resets its connections: the readers see it and leave.
		t.Logf("%d sessions still registered right after the run", n)
	}
}

func TestNewSID(t *testing.T) {
	s := New(Config{})
	defer s.Close()
	a, b := s.newSID(), s.newSID()
	if len(a) != 20 || len(b) != 20 || a == b {
		t.Fatalf("sids %q %q", a, b)
	}
}
