package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockgate/sockgate/decorators"
)

type seamNote struct {
	Text string   `json:"text" validate:"required,max=5"`
	Tags []string `json:"tags"`
}

type seamGateway struct {
	decorators.Gateway `namespace:"/seam" use:"outer"`

	_ decorators.Subscribe `ws:"note" use:"upper"`
	_ decorators.Subscribe `ws:"pair" handler:"Pair" rate:"100/s"`
	_ decorators.Subscribe `ws:"raw"`
	_ decorators.Subscribe `ws:"respond"`
	_ decorators.Subscribe `ws:"fail"`
	_ decorators.Subscribe `ws:"nothing"`
	_ decorators.Subscribe `ws:"ptr"`
}

func (g *seamGateway) OnNote(ctx context.Context, s *Socket, n seamNote) (seamNote, error) {
	if ctx.Err() != nil || s == nil {
		return seamNote{}, errors.New("no context")
	}
	return n, nil
}

func (g *seamGateway) Pair(a string, b int) []any { return []any{a, b} }

func (g *seamGateway) OnRaw(e *Event, a Args) int { return a.Len() + len(e.Name) }

func (g *seamGateway) OnRespond(s string) Response { return Response{Event: "answer", Data: s} }

func (g *seamGateway) OnFail(code string) error {
	if code == "x" {
		return NewError(CodeNotFound, "no "+code)
	}
	return errors.New("hidden")
}

func (g *seamGateway) OnNothing() {}

func (g *seamGateway) OnPtr(n *seamNote) string {
	if n == nil {
		return "nil"
	}
	return n.Text
}

// seamSpecs is what `sockgate gen` writes for seamGateway: the same specs as typed code.
// invoked counts the events that went through it.
func seamSpecs(invoked *atomic.Int64) func(g *seamGateway) []HandlerSpec {
	return func(g *seamGateway) []HandlerSpec {
		return []HandlerSpec{
			{Event: "note", Method: "OnNote", Use: []string{"upper"}, Invoke: func(e *Event) (func() (any, error), error) {
				invoked.Add(1)
				n, err := Body[seamNote](e, 0)
				if err != nil {
					return nil, err
				}
				return func() (any, error) { return g.OnNote(e.Socket().Context(), e.Socket(), n) }, nil
			}},
			{Event: "pair", Method: "Pair", Rate: &decorators.Rate{Count: 100, Per: time.Second}, Invoke: func(e *Event) (func() (any, error), error) {
				invoked.Add(1)
				a, err := Body[string](e, 0)
				if err != nil {
					return nil, err
				}
				b, err := Body[int](e, 1)
				if err != nil {
					return nil, err
				}
				return func() (any, error) { return g.Pair(a, b), nil }, nil
			}},
			{Event: "raw", Method: "OnRaw", Invoke: func(e *Event) (func() (any, error), error) {
				invoked.Add(1)
				return func() (any, error) { return g.OnRaw(e, e.Args), nil }, nil
			}},
			{Event: "respond", Method: "OnRespond", Invoke: func(e *Event) (func() (any, error), error) {
				invoked.Add(1)
				s, err := Body[string](e, 0)
				if err != nil {
					return nil, err
				}
				return func() (any, error) { return g.OnRespond(s), nil }, nil
			}},
			{Event: "fail", Method: "OnFail", Invoke: func(e *Event) (func() (any, error), error) {
				invoked.Add(1)
				c, err := Body[string](e, 0)
				if err != nil {
					return nil, err
				}
				return func() (any, error) { return nil, g.OnFail(c) }, nil
			}},
			{Event: "nothing", Method: "OnNothing", Invoke: func(e *Event) (func() (any, error), error) {
				invoked.Add(1)
				return func() (any, error) { g.OnNothing(); return nil, nil }, nil
			}},
			{Event: "ptr", Method: "OnPtr", Invoke: func(e *Event) (func() (any, error), error) {
				invoked.Add(1)
				n, err := Body[*seamNote](e, 0)
				if err != nil {
					return nil, err
				}
				return func() (any, error) { return g.OnPtr(n), nil }, nil
			}},
		}
	}
}

// seamScript sends the same events through a server with seamGateway registered and
// returns every frame received.
func seamScript(t *testing.T) []string {
	t.Helper()
	var (
		mu    sync.Mutex
		trace []string
	)
	srv, hs := newTestServer(t, Config{},
		WithNamed("outer", Interceptor(func(ec *ExecutionContext, next func() (any, error)) (any, error) {
			mu.Lock()
			trace = append(trace, ec.Method)
			mu.Unlock()
			return next()
		})),
		WithNamed("upper", Pipe(func(ec *ExecutionContext, i int, v any) error {
			n := v.(*seamNote)
			n.Text = strings.ToUpper(n.Text)
			return nil
		})),
	)
	if err := srv.Register(&seamGateway{}); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, hs)
	c.connect("/seam")
	var frames []string
	for i, ev := range []string{
		`["note",{"text":"abc","tags":["x"]}]`,
		`["note",{"text":"far too long"}]`,
		`["note",{"text":7}]`,
		`["note"]`,
		`["pair","a",2]`,
		`["pair","a","b"]`,
		`["raw",1,{"_placeholder":true,"num":0}]`,
		`["respond","yes"]`,
		`["fail","x"]`,
		`["fail","y"]`,
		`["nothing"]`,
		`["ptr",null]`,
		`["ptr",{"text":"ok"}]`,
		`["ptr",{"text":""}]`,
	} {
		if strings.Contains(ev, "_placeholder") {
			c.send("451-/seam," + itoa(i) + ev)
			c.sendBinary([]byte{1, 2})
		} else {
			c.send("42/seam," + itoa(i) + ev)
		}
		for {
			f := c.next()
			frames = append(frames, f.text)
			if strings.HasPrefix(f.text, "43/seam,"+itoa(i)+"[") {
				break
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return append(frames, "interceptor saw: "+strings.Join(trace, ","))
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestGeneratedSpecsMatchReflection runs one gateway through the reflection path and
// through hand-written "generated" specs, and compares every frame the client receives.
func TestGeneratedSpecsMatchReflection(t *testing.T) {
	byReflection := seamScript(t)

	var invoked atomic.Int64
	RegisterGenerated(GeneratedVersion, seamSpecs(&invoked))
	t.Cleanup(func() { generated.Delete(reflect.TypeFor[*seamGateway]()) })
	byGenerated := seamScript(t)

	if invoked.Load() == 0 {
		t.Fatal("the generated specs were not used")
	}
	if !reflect.DeepEqual(byReflection, byGenerated) {
		t.Fatalf("frames differ:\nreflection: %q\ngenerated:  %q", byReflection, byGenerated)
	}
	for _, want := range []string{
		`43/seam,0[{"text":"ABC","tags":["x"]}]`,
		`"code":"invalid_argument"`,
		`43/seam,4[["a",2]]`,
		`42/seam,["answer","yes"]`,
		`43/seam,12["ok"]`,
	} {
		if !strings.Contains(strings.Join(byReflection, "\n"), want) {
			t.Errorf("no frame has %s:\n%s", want, strings.Join(byReflection, "\n"))
		}
	}
}

func TestGeneratedSpecsOutOfDateAreRefused(t *testing.T) {
	var invoked atomic.Int64
	tests := []struct {
		name    string
		version int
		edit    func([]HandlerSpec) []HandlerSpec
		want    string
	}{
		{"version", GeneratedVersion + 1, nil, "handler seam version"},
		{"missing event", GeneratedVersion, func(s []HandlerSpec) []HandlerSpec { return s[1:] }, `event "note" (method OnNote) is missing`},
		{"extra event", GeneratedVersion, func(s []HandlerSpec) []HandlerSpec {
			return append(s, HandlerSpec{Event: "new", Method: "OnNew", Invoke: s[0].Invoke})
		}, `event "new" is not in the tags`},
		{"method", GeneratedVersion, func(s []HandlerSpec) []HandlerSpec { s[1].Method = "OnPair"; return s }, `calls OnPair, the tags say Pair`},
		{"rate", GeneratedVersion, func(s []HandlerSpec) []HandlerSpec { s[1].Rate = nil; return s }, `event "pair" has rate none, the tags say 100/1s`},
		{"use", GeneratedVersion, func(s []HandlerSpec) []HandlerSpec { s[0].Use = nil; return s }, `uses [], the tags say ["upper"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build := seamSpecs(&invoked)
			RegisterGenerated(tt.version, func(g *seamGateway) []HandlerSpec {
				s := build(g)
				if tt.edit != nil {
					s = tt.edit(s)
				}
				return s
			})
			t.Cleanup(func() { generated.Delete(reflect.TypeFor[*seamGateway]()) })
			srv, _ := newTestServer(t, Config{},
				WithNamed("outer", Interceptor(func(ec *ExecutionContext, next func() (any, error)) (any, error) { return next() })),
				WithNamed("upper", Pipe(func(*ExecutionContext, int, any) error { return nil })))
			err := srv.Register(&seamGateway{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "go generate") {
				t.Fatalf("err = %v, want one mentioning %q and go generate", err, tt.want)
			}
			if n, _ := srv.Of("/seam"); n.handler("note") != nil {
				t.Fatal("a refused gateway was attached")
			}
		})
	}
}
