package interoptest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDir(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "js", "driver.mjs")); err != nil {
		t.Fatalf("Dir() = %s without the driver: %v", dir, err)
	}
	if !isModuleRoot(filepath.Join(filepath.Dir(dir), "go.mod")) {
		t.Fatalf("Dir() = %s is not under the module root", dir)
	}
	if isModuleRoot(filepath.Join(dir, "package.json")) {
		t.Fatal("package.json taken for the module's go.mod")
	}
}

func TestEnabled(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{{"", false}, {"0", false}, {"1", true}, {"yes", true}} {
		t.Setenv(EnvVar, tc.value)
		if got := Enabled(); got != tc.want {
			t.Errorf("%s=%q: Enabled() = %v", EnvVar, tc.value, got)
		}
	}
}

func TestDriver(t *testing.T) {
	d := Start(t)

	// The driver runs the client version the lock file pins.
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	dir, _ := Dir()
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil || json.Unmarshal(b, &pkg) != nil {
		t.Fatalf("reading package.json: %v", err)
	}
	if _, client := d.Versions(); client != pkg.Dependencies["socket.io-client"] {
		t.Errorf("driver runs socket.io-client %q, package.json pins %q", client, pkg.Dependencies["socket.io-client"])
	}

	t.Run("binary codec", func(t *testing.T) {
		args := []any{Bin{1, 2}, map[string]any{"a": []any{Bin{}, map[string]any{"b": Bin{255}}}, "c": "x"},
			map[string]any{"$bin": "AQ==", "other": 1}}
		raw, err := marshalArgs(args)
		if err != nil {
			t.Fatal(err)
		}
		v := d.mustCall(t, map[string]any{"cmd": "roundtrip", "args": raw})
		var got struct {
			Args    json.RawMessage `json:"args"`
			Buffers int             `json:"buffers"`
		}
		if err := json.Unmarshal(v, &got); err != nil {
			t.Fatal(err)
		}
		var x, y any
		_ = json.Unmarshal(raw, &x)
		_ = json.Unmarshal(got.Args, &y)
		if !reflect.DeepEqual(x, y) || got.Buffers != 3 {
			t.Errorf("roundtrip gave %s with %d buffers, want %s with 3", got.Args, got.Buffers, raw)
		}
	})

	t.Run("errors", func(t *testing.T) {
		if _, err := d.call(t, map[string]any{"cmd": "no-such-command"}, callTimeout); err == nil ||
			!strings.Contains(err.Error(), "unknown command") {
			t.Errorf("unknown command: %v", err)
		}
		if _, err := d.call(t, map[string]any{"cmd": "emit", "socket": "nobody"}, callTimeout); err == nil {
			t.Error("emit on an unknown socket succeeded")
		}
	})

	t.Run("connect_error without a server", func(t *testing.T) {
		// Nothing listens on port 1: the manager's error reaches connect_error.
		s := d.Connect(t, "http://127.0.0.1:1", Options{NoReconnection: true, Transports: []string{"websocket"}})
		ce := s.WaitConnectError(10 * time.Second)
		if ce.Message == "" || ce.Type == "" {
			t.Errorf("connect_error %+v", ce)
		}
		if info := s.Info(); info.Connected {
			t.Errorf("connected to nothing: %+v", info)
		}
	})
}
