package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/auth"
	"github.com/sockgate/sockgate/di"
	"github.com/sockgate/sockgate/gateway"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testNow is the application's clock in tests, so that timestamps are exact.
var testNow = time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)

const testSecret = "contract-test-secret"

// testApp is the application started in-process on a free loopback port.
type testApp struct {
	URL string
	JWT *auth.JWT
}

// token returns a valid token for user.
func (a *testApp) token(tb testing.TB, user string) string {
	tb.Helper()
	tok, err := a.JWT.Sign(user, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// authFor is the CONNECT payload of user.
func (a *testApp) authFor(tb testing.TB, user string) map[string]string {
	tb.Helper()
	return map[string]string{"token": a.token(tb, user)}
}

// startApp starts the application with test settings changed by edit, and stops it in
// tb.Cleanup. Every test client connects from 127.0.0.1, faster than the chat's
// per-address limits allow one internet client to: they are off here, and on in
// startAppWithLimits.
func startApp(tb testing.TB, edit func(*Settings)) *testApp {
	tb.Helper()
	return startAppWith(tb, edit, fx.Decorate(func(c gateway.Config) gateway.Config {
		c.HandshakeRate, c.MaxPendingPerAddress = -1, -1
		return c
	}))
}

// startAppWithLimits starts the application as it runs in production.
func startAppWithLimits(tb testing.TB) *testApp {
	tb.Helper()
	return startAppWith(tb, nil, fx.Options())
}

func startAppWith(tb testing.TB, edit func(*Settings), extra fx.Option) *testApp {
	tb.Helper()
	s := Settings{Addr: "127.0.0.1:0", Secret: []byte(testSecret), Dev: true, ClientURL: "http://client.test"}
	if edit != nil {
		edit(&s)
	}
	var (
		lis *di.Listener
		app testApp
	)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fxApp := fx.New(
		App(s, quiet),
		fx.NopLogger,
		fx.Decorate(func() Clock { return func() time.Time { return testNow } }),
		extra,
		fx.Populate(&lis, &app.JWT),
	)
	if err := fxApp.Err(); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fxApp.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := fxApp.Stop(ctx); err != nil {
			tb.Errorf("stopping the app: %v", err)
		}
	})
	app.URL = lis.URL()
	return &app
}
