package gateway

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"
)

func TestWorkersReuseAndBound(t *testing.T) {
	var p workers
	var wg sync.WaitGroup
	done := make(chan struct{})
	// More jobs at once than idle workers are kept.
	for i := 0; i < maxIdleWorkers+10; i++ {
		wg.Add(1)
		p.run(func() {
			defer wg.Done()
			<-done
		})
	}
	close(done)
	wg.Wait()
	// Every worker has finished its job; at most maxIdleWorkers stay.
	for {
		p.mu.Lock()
		n := len(p.idle)
		p.mu.Unlock()
		if n == maxIdleWorkers {
			break
		}
		if n > maxIdleWorkers {
			t.Fatalf("%d idle workers, want at most %d", n, maxIdleWorkers)
		}
		wg.Add(1)
		p.run(wg.Done) // lets the last workers park
		wg.Wait()
	}
	// A job goes to an idle worker rather than a new goroutine.
	ran := make(chan struct{})
	p.run(func() { close(ran) })
	<-ran
	// Idle workers end after workerIdle; goleak in TestMain checks that none is left.
}

func TestDecodeFast(t *testing.T) {
	type named string
	tests := []struct {
		name  string
		into  any
		raw   string
		atts  [][]byte
		fast  bool
		value any
	}{
		{"raw message", new(json.RawMessage), `{"t":1}`, nil, true, json.RawMessage(`{"t":1}`)},
		{"raw message with attachments", new(json.RawMessage), `{"_placeholder":true,"num":0}`, [][]byte{{1}}, false, nil},
		{"plain string", new(string), `"room"`, nil, true, "room"},
		{"escaped string", new(string), `"a\"b"`, nil, false, nil},
		{"invalid utf-8", new(string), "\"\xff\"", nil, false, nil},
		{"named string type", new(named), `"x"`, nil, false, nil},
		{"number", new(int), `5`, nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := reflect.ValueOf(tt.into).Elem()
			raw := []byte(tt.raw)
			if got := decodeFast(v, raw, tt.atts); got != tt.fast {
				t.Fatalf("decodeFast = %v, want %v", got, tt.fast)
			}
			if !tt.fast {
				return
			}
			if !reflect.DeepEqual(v.Interface(), tt.value) {
				t.Fatalf("decoded %#v, want %#v", v.Interface(), tt.value)
			}
			if rm, ok := v.Interface().(json.RawMessage); ok {
				raw[0] = 'X'
				if rm[0] == 'X' {
					t.Fatal("the RawMessage aliases the packet")
				}
			}
		})
	}
}
