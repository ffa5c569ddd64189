package main

import (
	"fmt"
	"log/slog"
	"os"

	"go.uber.org/fx"
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
	fx.New(App(settings, log)).Run()
}
