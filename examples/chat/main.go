package main

import (
	"fmt"
	"log/slog"
	"os"

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
	})).Run()
}
