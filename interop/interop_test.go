package interop

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/interop/interoptest"
)

func TestEventsBothWays(t *testing.T) {
	forEachMode(t, func(t *testing.T, d *interoptest.Driver, m mode) {
		_, url := newServer(t, gateway.Config{}, func(srv *gateway.Server) {
			srv.OnConnection(func(s *gateway.Socket) {
				standard(s)
				_ = s.Emit("welcome", "hello", map[string]any{"n": 1, "list": []int{1, 2}})
				s.On("echo", func(e *gateway.Event) { _ = s.Emit("echo-back", e.Args) })
				s.On("typed", func(e *gateway.Event) {
					var in struct {
						Name string   `json:"name"`
						Tags []string `json:"tags"`
						N    int      `json:"n"`
					}
					if err := e.Args.Decode(0, &in); err != nil {
						_ = s.Emit("typed-back", "error: "+err.Error())
						return
					}
					_ = s.Emit("typed-back", in.Name, len(in.Tags), in.N*2)
				})
			})
		})
		c, _ := connect(t, d, url, m, interoptest.Options{})

		w := c.WaitEvent("welcome", wait)
		if w.Args.Len() != 2 || w.Args.Value(0) != "hello" {
			t.Fatalf("welcome %v", w.Args)
		}
		checkJSON(t, "welcome argument 1", w.Args[1], `{"n":1,"list":[1,2]}`)

		sent := []any{
			"plain", "ünïcødé ✓ \"quoted\" <b>&amp;</b> \u2028", "", 0, -17, 3.25, 9007199254740991,
			true, false, nil, []any{}, map[string]any{},
			map[string]any{"deep": []any{map[string]any{"x": []any{1, "two", nil}}}},
		}
		c.Emit("echo", sent...)
		got := c.WaitEvent("echo-back", wait)
		want, err := jsonArgs(sent)
		if err != nil {
			t.Fatal(err)
		}
		if got.Args.Len() != len(want) {
			t.Fatalf("echo-back has %d arguments, want %d: %v", got.Args.Len(), len(want), got.Args)
		}
		for i := range want {
			checkJSON(t, fmt.Sprintf("echo-back argument %d", i), got.Args[i], string(want[i]))
		}

		c.Emit("typed", map[string]any{"name": "gopher", "tags": []string{"a", "b", "c"}, "n": 21})
		tb := c.WaitEvent("typed-back", wait)
		if g := []any{tb.Args.Value(0), tb.Args.Value(1), tb.Args.Value(2)}; !reflect.DeepEqual(g, []any{"gopher", 3.0, 42.0}) {
			t.Errorf("typed-back %v", tb.Args)
		}
	})
}
