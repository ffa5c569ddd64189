package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sockgate/sockgate/cmd/sockgate/testdata/e2e"
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

	_ decorators.Subscribe `ws:"sum" handler:"Add"`

	e2e.EchoGateway
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
