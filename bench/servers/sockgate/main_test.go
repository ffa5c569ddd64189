package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/bench/gen/gentest"
	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestScenarios runs every generator scenario, scaled down, against the bench server.
func TestScenarios(t *testing.T) {
	run(t, Config("127.0.0.1:0", "", 0), false, nil)
}

// TestScenariosWithFeatures does it with the features the -rate, -recovery and -metrics
// flags turn on (a rate high enough for the scenarios' traffic); the metrics count the
// events.
func TestScenariosWithFeatures(t *testing.T) {
	run(t, Config("127.0.0.1:0", "100000/s", 2*time.Minute), true, func(addr string) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), `sockgate_events_received_total{event="echo",namespace="/"}`) {
			t.Fatalf("GET /metrics: %d, no echo events counted:\n%.2000s", resp.StatusCode, body)
		}
	})
}

// run starts the server, runs the scenarios against it, then check (if any), and stops it.
func run(t *testing.T, cfg gateway.Config, withMetrics bool, check func(addr string)) {
	var lis *di.Listener
	app := fx.New(App(cfg, "", withMetrics), fx.NopLogger, fx.Populate(&lis))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := app.Stop(ctx); err != nil {
			t.Error(err)
		}
	}()
	addr := strings.TrimPrefix(lis.URL(), "http://")
	gentest.Run(t, addr)
	if check != nil {
		check(addr)
	}
}
