package main

import (
	"context"
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
	run(t, Config("127.0.0.1:0", "", 0))
}

// TestScenariosWithFeatures does it with the features the -rate and -recovery flags turn
// on (a rate high enough for the scenarios' traffic).
func TestScenariosWithFeatures(t *testing.T) {
	run(t, Config("127.0.0.1:0", "100000/s", 2*time.Minute))
}

func run(t *testing.T, cfg gateway.Config) {
	var lis *di.Listener
	app := fx.New(App(cfg, ""), fx.NopLogger, fx.Populate(&lis))
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
	gentest.Run(t, strings.TrimPrefix(lis.URL(), "http://"))
}
