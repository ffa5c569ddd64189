package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/sockgate/sockgate/di"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
)

func main() {
	settings, err := SettingsFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log := slog.Default()
	if settings.DevSecret {
		log.Warn("chat: JWT_SECRET is not set; signing with the development secret (development only)",
			"secret", DevSecret)
	}
	if settings.Dev {
		log.Info("chat: development mode: GET /dev/token?user=<name> issues tokens; CHAT_DEV=0 turns it off")
	}
	// fx's own events go to the same logger, routine ones at debug level.
	fx.New(App(settings, log), fx.WithLogger(func() fxevent.Logger {
		l := &fxevent.SlogLogger{Logger: log}
		l.UseLogLevel(slog.LevelDebug)
		return l
	}), fx.Invoke(func(lc fx.Lifecycle, lis *di.Listener) {
		lc.Append(fx.Hook{OnStart: func(context.Context) error {
			// After the module's own start hook: the listener is open.
			fmt.Print(startMessage(lis.URL(), settings))
			return nil
		}})
	})).Run()
}

// startMessage tells the person who ran the server what to open and what to do next.
func startMessage(url string, s Settings) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nchat: open %s/ in two browser tabs (or %s/?user=alice and %s/?user=bob) and send a message from one to the other.\n", url, url, url)
	if s.ClientBundle != "" {
		if _, err := os.Stat(s.ClientBundle); err != nil {
			fmt.Fprintf(&b, "chat: the page cannot connect yet: its socket.io-client bundle %s is missing; `make run` installs it (npm ci in interop/).\n", s.ClientBundle)
		}
	}
	b.WriteString("chat: Ctrl-C stops the server.\n\n")
	return b.String()
}
