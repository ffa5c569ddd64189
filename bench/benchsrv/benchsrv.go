package benchsrv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
)

// MemPath is the admin endpoint's path.
const MemPath = "/__bench/mem"

// MemHandler answers MemPath: it runs a full collection, returns the memory counters, and
// when heapProfile is not empty overwrites that file with a heap profile, so that the
// last reading of a run (its peak) is the one kept.
func MemHandler(heapProfile string) http.Handler {
	var mu sync.Mutex // one collection and one profile write at a time
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		out := map[string]float64{
			"heap":         float64(ms.HeapAlloc),
			"heap_inuse":   float64(ms.HeapInuse),
			"heap_objects": float64(ms.HeapObjects),
			"stack":        float64(ms.StackInuse),
			"sys":          float64(ms.Sys),
			"goroutines":   float64(runtime.NumGoroutine()),
			"gomaxprocs":   float64(runtime.GOMAXPROCS(0)),
		}
		if heapProfile != "" {
			if err := WriteHeapProfile(heapProfile); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

// WriteHeapProfile writes the heap profile to path.
func WriteHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("benchsrv: heap profile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("benchsrv: heap profile: %w", err)
	}
	return f.Close()
}

// StartCPUProfile starts profiling into path and returns the function that stops it;
// with an empty path it does nothing.
func StartCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("benchsrv: cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("benchsrv: cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
