package gateway

import (
	"encoding/json"
	"testing"

	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/internal/socketio"
	"github.com/sockgate/sockgate/payload"
)

type benchGateway struct {
	decorators.Gateway

	_ decorators.Subscribe `ws:"message"`
}

func (g *benchGateway) OnMessage(s *Socket, in chatMessage) (receipt, error) {
	return receipt{Status: "received"}, nil
}

// dispatchFixture is an event as the decoder hands it to the dispatcher.
func dispatchFixture(b *testing.B) (*handler, *Socket, json.RawMessage) {
	srv, err := NewServer(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	g, err := srv.discover(&benchGateway{})
	if err != nil {
		b.Fatal(err)
	}
	h := &handler{spec: g.specs[0], gateway: g.value.Interface(), pipeline: g.pipeline}
	return h, &Socket{nsp: srv.main}, json.RawMessage(`["message",{"id":"1","text":"hello"}]`)
}

// BenchmarkDispatch is the framework's path for one event: split the arguments, decode
// the struct body, validate it, call the method through reflection and encode the ack.
func BenchmarkDispatch(b *testing.B) {
	h, s, data := dispatchFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		raw, err := socketio.SplitArgs(data)
		if err != nil {
			b.Fatal(err)
		}
		e := &Event{Name: "message", Args: payload.NewArgs(raw[1:], nil), socket: s, hasID: true}
		ec := &ExecutionContext{Socket: s, Event: e.Name, Args: e.Args, Method: h.spec.Method}
		v, err := h.run(ec, e)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := encodeArgs([]any{v}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDispatchByHand does the same work written by hand for this one method: the
// floor the framework is compared with.
func BenchmarkDispatchByHand(b *testing.B) {
	h, s, data := dispatchFixture(b)
	g := h.gateway.(*benchGateway)
	validate := s.nsp.srv.validate
	b.ReportAllocs()
	for b.Loop() {
		raw, err := socketio.SplitArgs(data)
		if err != nil {
			b.Fatal(err)
		}
		var in chatMessage
		if err := json.Unmarshal(raw[1], &in); err != nil {
			b.Fatal(err)
		}
		if err := validate.Struct(&in); err != nil {
			b.Fatal(err)
		}
		r, err := g.OnMessage(s, in)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := socketio.AppendArgs(nil, []any{r}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDispatchGenerated is BenchmarkDispatch through a spec written as typed code,
// as `sockgate gen` writes it: no reflection on the way to the method.
func BenchmarkDispatchGenerated(b *testing.B) {
	h, s, data := dispatchFixture(b)
	g := h.gateway.(*benchGateway)
	h.spec.Invoke = func(e *Event) (func() (any, error), error) {
		in, err := Body[chatMessage](e, 0)
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return g.OnMessage(e.Socket(), in) }, nil
	}
	b.ReportAllocs()
	for b.Loop() {
		raw, err := socketio.SplitArgs(data)
		if err != nil {
			b.Fatal(err)
		}
		e := &Event{Name: "message", Args: payload.NewArgs(raw[1:], nil), socket: s, hasID: true}
		ec := &ExecutionContext{Socket: s, Event: e.Name, Args: e.Args, Method: h.spec.Method}
		v, err := h.run(ec, e)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := encodeArgs([]any{v}); err != nil {
			b.Fatal(err)
		}
	}
}
