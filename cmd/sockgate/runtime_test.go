package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sockgate/sockgate/cmd/sockgate/testdata/basic"
	"github.com/sockgate/sockgate/cmd/sockgate/testdata/e2e"
	"github.com/sockgate/sockgate/cmd/sockgate/testdata/multi"
	"github.com/sockgate/sockgate/cmd/sockgate/testdata/stale"
	"github.com/sockgate/sockgate/decorators"
	"github.com/sockgate/sockgate/gateway"
	"github.com/sockgate/sockgate/gateway/gatewaytest"
)

// TestGeneratedCodeServes serves a gateway whose zz_sockgate.go is committed: every event
// is handled through the generated specs, none by reflection, with the same decoding,
// validation, acknowledgements and errors.
func TestGeneratedCodeServes(t *testing.T) {
	srv := gatewaytest.NewServer(t, gateway.Config{})
	gw := &e2e.EchoGateway{}
	if err := srv.Register(gw); err != nil {
		t.Fatal(err)
	}
	c := srv.Dial(t, "/echo")

	var note e2e.Note
	if err := c.EmitWithAck(t, "echo", e2e.Note{Text: "hi"}).Decode(0, &note); err != nil || note.Text != "hi" {
		t.Errorf("echo: %+v, %v", note, err)
	}
	var sum int
	if err := c.EmitWithAck(t, "sum", 2, 3).Decode(0, &sum); err != nil || sum != 5 {
		t.Errorf("sum: %d, %v", sum, err)
	}
	if a := c.EmitWithAck(t, "shout", "hey"); a.Len() != 0 {
		t.Errorf("shout acknowledged with %v, want no argument", a)
	}
	var shouted string
	if err := c.Expect(t, "shouted").Args.Decode(0, &shouted); err != nil || shouted != "HEY" {
		t.Errorf("shouted: %q, %v", shouted, err)
	}
	var refusal gateway.ErrorBody
	if err := c.EmitWithAck(t, "echo", e2e.Note{Text: "far too long"}).Decode(0, &refusal); err != nil {
		t.Fatal(err)
	}
	if refusal.Code != gateway.CodeInvalidArgument || !strings.Contains(refusal.Message, "text") {
		t.Errorf("invalid note: %+v", refusal)
	}
	if err := c.EmitWithAck(t, "sum", "two", 3).Decode(0, &refusal); err != nil || refusal.Code != gateway.CodeInvalidArgument {
		t.Errorf("sum of a string: %+v, %v", refusal, err)
	}
	if calls, refl := gw.Calls.Load(), gw.Reflected.Load(); calls != 3 || refl != 0 {
		t.Errorf("%d calls, %d through reflection; want 3 calls, none through reflection", calls, refl)
	}
}

// reflectedEcho is EchoGateway's declaration without generated code (test files are not
// read by sockgate gen): the record of its calls shows that the detection works.
type reflectedEcho struct {
	decorators.Gateway `namespace:"/echo"`

	_ decorators.Subscribe `ws:"echo"`
	_ decorators.Subscribe `ws:"sum" handler:"Add"`
	_ decorators.Subscribe `ws:"shout" rate:"100/s,burst=10"`

	e2e.EchoGateway
}

// TestGeneratedAndReflectedAnswerAlike sends the same events, valid and not, to the
// gateway served by its generated specs and to its twin served by reflection: the
// acknowledgements are the same bytes.
func TestGeneratedAndReflectedAnswerAlike(t *testing.T) {
	script := [][]any{
		{"echo", e2e.Note{Text: "hi"}},
		{"echo", e2e.Note{}},
		{"echo", map[string]any{"text": 3}},
		{"echo"},
		{"echo", "not an object"},
		{"sum", 2, 3},
		{"sum", 2},
		{"sum", "2", 3},
		{"sum", 1.5, 1},
		{"shout", "hey"},
		{"shout", nil},
		{"shout", []int{1}},
	}
	answers := func(gw any) []string {
		srv := gatewaytest.NewServer(t, gateway.Config{})
		if err := srv.Register(gw); err != nil {
			t.Fatal(err)
		}
		c := srv.Dial(t, "/echo")
		var out []string
		for _, step := range script {
			out = append(out, c.EmitWithAck(t, step[0].(string), step[1:]...).String())
		}
		return out
	}
	generated := &e2e.EchoGateway{}
	byGenerated := answers(generated)
	reflected := &reflectedEcho{}
	byReflection := answers(reflected)
	if !reflect.DeepEqual(byGenerated, byReflection) {
		for i := range script {
			if byGenerated[i] != byReflection[i] {
				t.Errorf("%v: generated %s, reflection %s", script[i], byGenerated[i], byReflection[i])
			}
		}
	}
	if generated.Reflected.Load() != 0 || reflected.Reflected.Load() != reflected.Calls.Load() || reflected.Calls.Load() == 0 {
		t.Errorf("paths: generated %d of %d calls through reflection, twin %d of %d",
			generated.Reflected.Load(), generated.Calls.Load(), reflected.Reflected.Load(), reflected.Calls.Load())
	}
	if !strings.Contains(strings.Join(byGenerated, "\n"), "invalid_argument") {
		t.Errorf("no refusal among the answers: %q", byGenerated)
	}
}

func TestReflectionIsDetected(t *testing.T) {
	srv := gatewaytest.NewServer(t, gateway.Config{})
	gw := &reflectedEcho{}
	if err := srv.Register(gw); err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := srv.Dial(t, "/echo").EmitWithAck(t, "sum", 2, 3).Decode(0, &sum); err != nil || sum != 5 {
		t.Errorf("sum: %d, %v", sum, err)
	}
	if refl := gw.Reflected.Load(); refl != 1 {
		t.Errorf("%d calls through reflection, want 1", refl)
	}
}

// TestStaleGeneratedCodeIsRefused registers a gateway whose tags changed after its code was
// generated: the runtime refuses it and asks for go generate.
func TestStaleGeneratedCodeIsRefused(t *testing.T) {
	srv := gatewaytest.NewServer(t, gateway.Config{})
	err := srv.Register(&stale.StaleGateway{})
	if err == nil {
		t.Fatal("registered")
	}
	for _, want := range []string{"no longer matches the tags", `"greet"`, "run go generate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
}

// TestGeneratedCodeMatchesTags regenerates the committed generated code of the runtime
// fixtures: a stale fixture must differ (that is its point), a current one must not.
func TestGeneratedCodeMatchesTags(t *testing.T) {
	for pkg, wantSame := range map[string]bool{"e2e": true, "stale": false} {
		f := generatedFile(t, pkg, generatedGoFile)
		if same := reflect.DeepEqual(readFile(t, f.path), f.data); same != wantSame {
			t.Errorf("%s: regenerated code equal to the committed one: %v, want %v", pkg, same, wantSame)
		}
	}
}

// TestFixturesRegister registers every gateway of the golden fixtures: the runtime accepts
// their generated specs (they match the tags, as reflection reads them).
func TestFixturesRegister(t *testing.T) {
	audit := gateway.Guard(func(*gateway.ExecutionContext) error { return nil })
	srv := gatewaytest.NewServer(t, gateway.Config{}, gateway.WithNamed("audit", audit))
	for _, gw := range []any{&basic.RoomGateway{}, &multi.ChatGateway{}, &multi.ChatAdminGateway{},
		&multi.AdminUsersGateway{}, &multi.GameGateway{}} {
		if err := srv.Register(gw); err != nil {
			t.Errorf("%T: %v", gw, err)
		}
	}
	var health string
	if err := srv.Dial(t, "/").EmitWithAck(t, "health").Decode(0, &health); err != nil || health != "ok" {
		t.Errorf("health (a promoted method): %q, %v", health, err)
	}
}
