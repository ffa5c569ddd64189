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
	var lis *di.Listener
	app := fx.New(App(gateway.Config{Addr: "127.0.0.1:0"}, ""), fx.NopLogger, fx.Populate(&lis))
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
