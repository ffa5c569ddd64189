package interop

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/interop/interoptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait for something the client or the server should do. It is
// generous because the race detector and a shared two-core machine slow everything down;
// a passing run never waits for it.
const wait = 10 * time.Second

// mode is one way a client may reach the server.
type mode struct {
	name       string
	transports []string // client's transports option; nil is the default
	upgrade    bool     // the client is expected to upgrade from polling
	want       string   // transport once connected (and upgraded)
}

var modes = []mode{
	{name: "upgrade", transports: nil, upgrade: true, want: "websocket"},
	{name: "websocket", transports: []string{"websocket"}, want: "websocket"},
	{name: "polling", transports: []string{"polling"}, want: "polling"},
}

// forEachMode runs f once per transport mode as subtests sharing one driver.
func forEachMode(t *testing.T, f func(t *testing.T, d *interoptest.Driver, m mode)) {
	t.Helper()
	d := interoptest.Start(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { f(t, d, m) })
	}
}

func (m mode) options(o interoptest.Options) interoptest.Options {
	o.Transports = m.transports
	return o
}

// newServer returns a gateway server listening on 127.0.0.1 and its URL; setup registers
// handlers before the first client can arrive. Both are closed in t.Cleanup.
func newServer(t *testing.T, cfg gateway.Config, setup func(srv *gateway.Server)) (*gateway.Server, string) {
	t.Helper()
	srv := mustServer(t, cfg, setup)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
	})
	return srv, hs.URL
}

func mustServer(t *testing.T, cfg gateway.Config, setup func(srv *gateway.Server)) *gateway.Server {
	t.Helper()
	srv, err := gateway.NewServer(cfg, gateway.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	setup(srv)
	return srv
}

// serveOn serves srv on ln until the returned stop is called; stop closes the gateway
// (every connection) and the HTTP server, and waits for Serve to return.
func serveOn(t *testing.T, srv *gateway.Server, ln net.Listener) (stop func()) {
	t.Helper()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: wait}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		_ = srv.Close()
		_ = hs.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// who is what the server's "whoami" handler acknowledges.
type who struct {
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	Transport string `json:"transport"`
}

// standard registers the handlers every test server has.
func standard(s *gateway.Socket) {
	s.On("whoami", func(e *gateway.Event) {
		_ = e.Ack(who{ID: s.ID(), Namespace: s.Namespace().Name(), Transport: s.Transport()})
	})
}

// whoami asks the server which socket, namespace and transport it sees for c.
func whoami(t *testing.T, c *interoptest.Socket) who {
	t.Helper()
	v, err := c.EmitWithAck(wait, "whoami")
	if err != nil {
		t.Fatal(err)
	}
	var w who
	if err := v.Decode(0, &w); err != nil {
		t.Fatalf("whoami answer %v: %v", v, err)
	}
	return w
}

// connect opens a socket on its own manager in mode m, waits for it to connect, and
// checks the transport on both sides: after an upgrade the client has really switched to
// websocket and the server reads it from there.
func connect(t *testing.T, d *interoptest.Driver, url string, m mode, o interoptest.Options) (*interoptest.Socket, interoptest.Info) {
	t.Helper()
	c := d.Connect(t, url, m.options(o))
	info := c.WaitConnect(wait)
	if info.ID == "" || info.EngineID == "" {
		t.Fatalf("connected without ids: %+v", info)
	}
	checkTransport(t, c, m)
	return c, info
}

func checkTransport(t *testing.T, c *interoptest.Socket, m mode) {
	t.Helper()
	if m.upgrade {
		r := c.Manager().WaitEngineEvent("upgrade", wait)
		if got := r.Args.Value(0); got != "websocket" {
			t.Fatalf("upgraded to %v, want websocket", got)
		}
	}
	// The whoami packet leaves after the upgrade packet, on the new transport.
	if w := whoami(t, c); w.Transport != m.want {
		t.Fatalf("server sees transport %q, want %q", w.Transport, m.want)
	}
	if got := c.Info().Transport; got != m.want {
		t.Fatalf("client uses transport %q, want %q", got, m.want)
	}
	if !m.upgrade {
		if ups := c.Manager().EngineEvents("upgrade"); len(ups) > 0 {
			t.Fatalf("client with transports %v upgraded: %v", m.transports, ups[0].String())
		}
	}
}

// jsonArgs encodes each argument on its own, to compare with what the client received.
func jsonArgs(args []any) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(args))
	for i, a := range args {
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func checkJSON(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if !sameJSON(got, []byte(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}
