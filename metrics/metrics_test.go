package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/sockgate/sockgate/client"
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
	"github.com/sockgate/sockgate/metrics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type chatGateway struct {
	decorators.Gateway `namespace:"/chat"`

	_ decorators.Subscribe `ws:"message"`
	_ decorators.Subscribe `ws:"fail"`
	_ decorators.Subscribe `ws:"crash"`
	_ decorators.Subscribe `ws:"sync"`
	_ decorators.Subscribe `ws:"typing" rate:"1/h"`

	left chan gateway.DisconnectReason
}

type message struct {
	Text string `json:"text" validate:"required"`
}

func (g *chatGateway) OnMessage(in message) string { return "got " + in.Text }
func (g *chatGateway) OnFail() error {
	return gateway.NewError(gateway.CodeInvalidArgument, "no")
}
func (g *chatGateway) OnCrash() error { return errors.New("database on fire") }

// OnSync acks; a socket's events run in order, so when its ack arrives every event sent
// before it has been observed.
func (g *chatGateway) OnSync() {}

func (g *chatGateway) OnTyping() {}

func (g *chatGateway) OnDisconnect(_ *gateway.Socket, r gateway.DisconnectReason) { g.left <- r }

// newServer starts a server observed by fresh Metrics, with chatGateway on /chat.
func newServer(t *testing.T, cfg gateway.Config) (*gatewaytest.Server, *prometheus.Registry, *chatGateway) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := gatewaytest.NewServer(t, cfg, gateway.WithObserver(m),
		gateway.WithLogger(slog.New(slog.DiscardHandler)))
	gw := &chatGateway{left: make(chan gateway.DisconnectReason, 4)}
	if err := srv.Register(gw); err != nil {
		t.Fatal(err)
	}
	return srv, reg, gw
}

// value returns the value of the series name{labels}: a counter, a gauge, or a
// histogram's count; 0 when the series does not exist.
func value(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !hasLabels(m, labels) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return 0
}

func hasLabels(m *dto.Metric, kv []string) bool {
	have := map[string]string{}
	for _, l := range m.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	if len(have) != len(kv)/2 {
		return false
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if v, ok := have[kv[i]]; !ok || v != kv[i+1] {
			return false
		}
	}
	return true
}

// series lists the label sets of name, as "k=v,k=v", for cardinality checks.
func series(t *testing.T, reg prometheus.Gatherer, name string) []string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var out []string
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var parts []string
			for _, l := range m.GetLabel() {
				parts = append(parts, l.GetName()+"="+l.GetValue())
			}
			out = append(out, strings.Join(parts, ","))
		}
	}
	return out
}

func TestClientSession(t *testing.T) {
	srv, reg, gw := newServer(t, gateway.Config{})
	c := srv.Dial(t, "/chat")
	chat := []string{"namespace", "/chat"}
	check := func(want float64, name string, labels ...string) {
		t.Helper()
		if got := value(t, reg, name, labels...); got != want {
			t.Errorf("%s%v = %v, want %v", name, labels, got, want)
		}
	}
	check(1, "sockgate_sockets_connected", chat...)

	var got string
	if err := c.EmitWithAck(t, "message", message{Text: "hi"}).Decode(0, &got); err != nil || got != "got hi" {
		t.Fatalf("ack %q %v", got, err)
	}
	if err := c.Emit("message", message{Text: "no ack"}); err != nil {
		t.Fatal(err)
	}
	c.EmitWithAck(t, "fail")
	c.Expect(t, "exception")
	c.EmitWithAck(t, "crash")
	c.Expect(t, "exception")
	for _, name := range []string{"unknown-1", "unknown-2", "unknown-3"} {
		if err := c.Emit(name); err != nil {
			t.Fatal(err)
		}
	}
	c.EmitWithAck(t, "typing")
	var refusal struct{ Code string }
	if err := c.EmitWithAck(t, "typing").Decode(0, &refusal); err != nil || refusal.Code != "resource_exhausted" {
		t.Fatalf("second typing: %+v %v, want resource_exhausted", refusal, err)
	}
	c.Expect(t, "exception")
	c.EmitWithAck(t, "sync")

	check(2, "sockgate_events_received_total", "namespace", "/chat", "event", "message")
	check(2, "sockgate_event_handling_seconds", "namespace", "/chat", "event", "message")
	check(1, "sockgate_events_received_total", "namespace", "/chat", "event", "fail")
	check(1, "sockgate_events_received_total", "namespace", "/chat", "event", "crash")
	check(3, "sockgate_events_received_total", "namespace", "/chat", "event", metrics.OtherLabel)
	for _, s := range series(t, reg, "sockgate_events_received_total") {
		if strings.Contains(s, "unknown") {
			t.Errorf("an unregistered event has a series of its own: %s", s)
		}
	}
	check(1, "sockgate_errors_total", "namespace", "/chat", "code", "invalid_argument")
	check(1, "sockgate_errors_total", "namespace", "/chat", "code", "internal")
	check(1, "sockgate_events_received_total", "namespace", "/chat", "event", "typing")
	check(1, "sockgate_events_rate_limited_total", "namespace", "/chat", "event", "typing")
	check(1, "sockgate_errors_total", "namespace", "/chat", "code", "resource_exhausted")
	// message, fail, crash, typing twice (once refused); sync's own may not be counted yet.
	if n := value(t, reg, "sockgate_acks_total", "namespace", "/chat", "direction", "sent"); n < 5 || n > 6 {
		t.Errorf("acks sent = %v, want 5 or 6", n)
	}

	// An emit from the server that the client acknowledges.
	c.On("ping", func(e *client.Event) { _ = e.Ack("pong") })
	chatNsp, cerr := srv.Of("/chat")
	if cerr != nil {
		t.Fatal(cerr)
	}
	socks := chatNsp.Sockets()
	if len(socks) != 1 {
		t.Fatalf("%d sockets on /chat", len(socks))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := socks[0].EmitWithAck(ctx, "ping"); err != nil {
		t.Fatal(err)
	}
	check(1, "sockgate_acks_total", "namespace", "/chat", "direction", "received")

	c.Disconnect()
	if r := <-gw.left; r != gateway.ReasonClientNamespaceDisconnect {
		t.Errorf("reason %q", r)
	}
	check(0, "sockgate_sockets_connected", chat...)
	check(1, "sockgate_socket_disconnects_total", "namespace", "/chat", "reason", "client namespace disconnect")
	check(0, "sockgate_slow_consumer_disconnects_total")
}

// A polling session that never fetches what the server sends overflows its write queue
// and is closed as a slow consumer.
func TestSlowConsumer(t *testing.T) {
	srv, reg, gw := newServer(t, gateway.Config{WriteQueueSize: 4})
	connected := make(chan *gateway.Socket, 1)
	chat, err := srv.Of("/chat")
	if err != nil {
		t.Fatal(err)
	}
	chat.OnConnection(func(s *gateway.Socket) { connected <- s })
	base := srv.URL + "/socket.io/?EIO=4&transport=polling"
	body := get(t, base)
	i := strings.Index(body, `"sid":"`)
	if i < 0 {
		t.Fatalf("handshake: %q", body)
	}
	sid := body[i+7 : i+7+20]
	resp, err := http.Post(base+"&sid="+sid, "text/plain", strings.NewReader("40/chat,"))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	sock := <-connected // its CONNECT reply waits in the queue, never fetched
	for range 8 {
		_ = sock.Emit("flood", "x")
	}
	if r := <-gw.left; r != gateway.ReasonSlowConsumer {
		t.Errorf("reason %q", r)
	}
	if got := value(t, reg, "sockgate_slow_consumer_disconnects_total"); got != 1 {
		t.Errorf("slow consumer disconnects = %v, want 1", got)
	}
	if got := value(t, reg, "sockgate_sockets_connected", "namespace", "/chat"); got != 0 {
		t.Errorf("sockets connected = %v, want 0", got)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
