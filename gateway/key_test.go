package gateway

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestKeysAreDistinctAndTyped(t *testing.T) {
	s := &Socket{}
	a, b := NewKey[string]("name"), NewKey[string]("name")
	n := NewKey[*int]("n")
	if _, ok := a.Get(s); ok {
		t.Fatal("a value before Set")
	}
	a.Set(s, "from a")
	if v, ok := b.Get(s); ok || v != "" {
		t.Fatalf("a key of the same name and type sees %q", v)
	}
	b.Set(s, "from b")
	s.SetData("application")
	if v, _ := a.Get(s); v != "from a" {
		t.Fatalf("a = %q", v)
	}
	if s.Data() != "application" {
		t.Fatal("a key touched Data")
	}
	n.Set(s, nil)
	if v, ok := n.Get(s); !ok || v != nil {
		t.Fatalf("a stored nil: %v %v", v, ok)
	}
	a.Delete(s)
	if _, ok := a.Get(s); ok {
		t.Fatal("Delete")
	}
	if a.String() != "name" {
		t.Fatal("String")
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := NewKey[int]("k")
			k.Set(s, i)
			if v, _ := k.Get(s); v != i {
				t.Errorf("got %d, want %d", v, i)
			}
		}()
	}
	wg.Wait()
}

func TestErrAckTimeoutIsADeadline(t *testing.T) {
	if !errors.Is(ErrAckTimeout, context.DeadlineExceeded) {
		t.Fatal("ErrAckTimeout does not match context.DeadlineExceeded")
	}
}
