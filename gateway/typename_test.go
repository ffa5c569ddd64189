package gateway

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sockgate/sockgate/decorators"
)

// The Go types behind the bodies below. Their names, their package's name and Go's own
// spellings of types must never reach a client.
type typeProbeNote struct {
	Text string `json:"text"`
	N    int    `json:"n"`
}

type typeProbeCount int

type typeProbeGateway struct {
	decorators.Gateway `namespace:"/tp"`

	_ decorators.Subscribe `ws:"note"`
	_ decorators.Subscribe `ws:"pointer"`
	_ decorators.Subscribe `ws:"slice"`
	_ decorators.Subscribe `ws:"map"`
	_ decorators.Subscribe `ws:"named"`
	_ decorators.Subscribe `ws:"second"`
	_ decorators.Subscribe `ws:"args"`
}

func (g *typeProbeGateway) OnNote(in typeProbeNote) error               { return nil }
func (g *typeProbeGateway) OnPointer(in *typeProbeNote) error           { return nil }
func (g *typeProbeGateway) OnSlice(in []typeProbeNote) error            { return nil }
func (g *typeProbeGateway) OnMap(in map[string]typeProbeNote) error     { return nil }
func (g *typeProbeGateway) OnNamed(in typeProbeCount) error             { return nil }
func (g *typeProbeGateway) OnSecond(a string, b typeProbeNote) error    { return nil }
func (g *typeProbeGateway) OnArgs(args Args) error                      { return args.Decode(0, new(typeProbeNote)) }
func (g *typeProbeGatewayGen) OnNote(in typeProbeNote) error            { return nil }
func (g *typeProbeGatewayGen) OnPointer(in *typeProbeNote) error        { return nil }
func (g *typeProbeGatewayGen) OnSlice(in []typeProbeNote) error         { return nil }
func (g *typeProbeGatewayGen) OnMap(in map[string]typeProbeNote) error  { return nil }
func (g *typeProbeGatewayGen) OnNamed(in typeProbeCount) error          { return nil }
func (g *typeProbeGatewayGen) OnSecond(a string, b typeProbeNote) error { return nil }
func (g *typeProbeGatewayGen) OnArgs(args Args) error                   { return args.Decode(0, new(typeProbeNote)) }
func (g *typeProbeGatewayGen) spec(event, method string, invoke probeInvoke) HandlerSpec {
	return HandlerSpec{Event: event, Method: method, Invoke: invoke}
}

// typeProbeGatewayGen is typeProbeGateway with its specs written as sockgate gen writes
// them (gateway.Body per argument).
type typeProbeGatewayGen struct {
	decorators.Gateway `namespace:"/tpgen"`

	_ decorators.Subscribe `ws:"note"`
	_ decorators.Subscribe `ws:"pointer"`
	_ decorators.Subscribe `ws:"slice"`
	_ decorators.Subscribe `ws:"map"`
	_ decorators.Subscribe `ws:"named"`
	_ decorators.Subscribe `ws:"second"`
	_ decorators.Subscribe `ws:"args"`
}

// probeInvoke is the type of HandlerSpec.Invoke.
type probeInvoke = func(e *Event) (func() (any, error), error)

// genOne is the generated invoke of a one-body handler.
func genOne[T any](call func(T) error) probeInvoke {
	return func(e *Event) (func() (any, error), error) {
		b0, err := Body[T](e, 0)
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return nil, call(b0) }, nil
	}
}

func init() {
	RegisterGenerated(GeneratedVersion, func(g *typeProbeGatewayGen) []HandlerSpec {
		return []HandlerSpec{
			g.spec("note", "OnNote", genOne(g.OnNote)),
			g.spec("pointer", "OnPointer", genOne(g.OnPointer)),
			g.spec("slice", "OnSlice", genOne(g.OnSlice)),
			g.spec("map", "OnMap", genOne(g.OnMap)),
			g.spec("named", "OnNamed", genOne(g.OnNamed)),
			g.spec("second", "OnSecond", func(e *Event) (func() (any, error), error) {
				b0, err := Body[string](e, 0)
				if err != nil {
					return nil, err
				}
				b1, err := Body[typeProbeNote](e, 1)
				if err != nil {
					return nil, err
				}
				return func() (any, error) { return nil, g.OnSecond(b0, b1) }, nil
			}),
			g.spec("args", "OnArgs", func(e *Event) (func() (any, error), error) {
				return func() (any, error) { return nil, g.OnArgs(e.Args) }, nil
			}),
		}
	})
}

// TestNoGoTypeNameReachesClients sends bodies of the wrong JSON type to handlers taking a
// struct, a pointer, a slice, a map, a named number, a second argument and Args, through
// reflection and through generated specs: the ack and the exception event describe the
// problem in JSON's terms (or, for an error the handler returns, generically), never with
// a Go type name.
func TestNoGoTypeNameReachesClients(t *testing.T) {
	cases := []struct {
		event, args, code, message string
	}{
		{"note", `"text"`, "invalid_argument", "argument 0: expected an object, got string"},
		{"note", `[1,2]`, "invalid_argument", "argument 0: expected an object, got array"},
		{"note", `{"n":"seven"}`, "invalid_argument", "argument 0: n: expected an integer, got string"},
		{"pointer", `7`, "invalid_argument", "argument 0: expected an object, got number"},
		{"slice", `{"text":"a"}`, "invalid_argument", "argument 0: expected an array, got object"},
		{"slice", `["a"]`, "invalid_argument", "argument 0: expected an object, got string"},
		{"map", `[1]`, "invalid_argument", "argument 0: expected an object, got array"},
		{"map", `{"k":true}`, "invalid_argument", "argument 0: expected an object, got bool"},
		{"named", `"x"`, "invalid_argument", "argument 0: expected an integer, got string"},
		{"second", `"a",false`, "invalid_argument", "argument 1: expected an object, got bool"},
		{"args", `"text"`, "internal", ""}, // the handler's own error: generic
	}
	for _, gw := range []struct {
		name string
		g    any
		nsp  string
	}{
		{"reflection", &typeProbeGateway{}, "/tp"},
		{"generated", &typeProbeGatewayGen{}, "/tpgen"},
	} {
		t.Run(gw.name, func(t *testing.T) {
			srv, hs := newTestServer(t, Config{})
			if err := srv.Register(gw.g); err != nil {
				t.Fatal(err)
			}
			c := dialRaw(t, hs)
			c.connect(gw.nsp)
			for i, tc := range cases {
				c.send(fmt.Sprintf(`42%s,%d["%s",%s]`, gw.nsp, i, tc.event, tc.args))
				ack := c.expectPrefix(fmt.Sprintf(`43%s,%d`, gw.nsp, i))
				var body []struct{ Status, Code, Message string }
				if err := json.Unmarshal([]byte(strings.TrimPrefix(ack, fmt.Sprintf(`43%s,%d`, gw.nsp, i))), &body); err != nil || len(body) != 1 {
					t.Fatalf("%s %s: ack %q: %v", tc.event, tc.args, ack, err)
				}
				got := body[0]
				if got.Status != "error" || got.Code != tc.code || (tc.message != "" && got.Message != tc.message) {
					t.Errorf("%s %s: got %+v, want code %s message %q", tc.event, tc.args, got, tc.code, tc.message)
				}
				exc := c.expectPrefix(fmt.Sprintf(`42%s,["exception",`, gw.nsp))
				for _, frame := range []string{got.Message, exc} {
					for _, leak := range []string{"typeProbe", "gateway.", "Go value", "json:", "payload:", "[]", "map[", "*", "struct"} {
						if strings.Contains(frame, leak) {
							t.Errorf("%s %s: %q reaches the client (%q)", tc.event, tc.args, leak, frame)
						}
					}
				}
			}
		})
	}
}
