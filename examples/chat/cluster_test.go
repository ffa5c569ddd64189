package main

import "testing"

func TestSettingsCluster(t *testing.T) {
	env := map[string]string{"REDIS_URL": "redis://127.0.0.1:6379"}
	s, err := SettingsFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if s.RedisURL != env["REDIS_URL"] || s.GatewayConfig().Cookie != "io" {
		t.Fatalf("settings %+v, cookie %q", s, s.GatewayConfig().Cookie)
	}
	if s, _ := SettingsFromEnv(func(string) string { return "" }); s.GatewayConfig().Cookie != "" {
		t.Fatal("a single node sets the io cookie")
	}
	env["REDIS_ADAPTER"] = "sharded"
	if s, err := SettingsFromEnv(func(k string) string { return env[k] }); err != nil || s.RedisAdapter != "sharded" {
		t.Fatalf("REDIS_ADAPTER=sharded: %+v, %v", s, err)
	}
	env["REDIS_ADAPTER"] = "nosuch"
	if _, err := SettingsFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Fatal("an unknown REDIS_ADAPTER was accepted")
	}
}
