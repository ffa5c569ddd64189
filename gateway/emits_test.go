package gateway

import (
	"strings"
	"testing"

	"github.com/sockgate/sockgate/decorators"
)

type emitsNote struct {
	Text string `json:"text"`
}

type emitsGateway struct {
	decorators.Gateway

	_ decorators.Emits[emitsNote] `ws:"note"`
	_ decorators.Emits[string]    `ws:"note"`
	_ decorators.Emits[[]int]     `ws:"numbers"`
}

type badEmitsGateway struct {
	decorators.Gateway

	_ decorators.Emits[emitsNote] `ws:"note"`
	_ decorators.Emits[emitsNote] `ws:"note"`
	_ decorators.Emits[string]    `ws:"disconnect"`
	_ decorators.Emits[string]    `ws:"x" handler:"OnX"`
	_ decorators.Emits[func()]    `ws:"fn"`
}

func TestRegisterEmits(t *testing.T) {
	srv, err := NewServer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if err := srv.Register(&emitsGateway{}); err != nil {
		t.Fatalf("valid Emits declarations refused: %v", err)
	}
	err = srv.Register(&badEmitsGateway{})
	if err == nil {
		t.Fatal("invalid Emits declarations accepted")
	}
	for _, want := range []string{
		"_ (field 2)", `event "note" is already declared with payload gateway.emitsNote`,
		`ws:"disconnect": reserved event name`,
		`handler:"OnX": unknown tag key`,
		"payload func(): a func cannot be decoded from or encoded to JSON",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}
