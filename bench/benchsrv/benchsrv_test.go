package benchsrv

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestMemHandler(t *testing.T) {
	dir := t.TempDir()
	heap := filepath.Join(dir, "heap.pprof")
	rec := httptest.NewRecorder()
	MemHandler(heap).ServeHTTP(rec, httptest.NewRequest("GET", MemPath, nil))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var out map[string]float64
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"heap", "stack", "sys", "goroutines"} {
		if out[k] <= 0 {
			t.Errorf("%s = %v, want > 0", k, out[k])
		}
	}
	if st, err := os.Stat(heap); err != nil || st.Size() == 0 {
		t.Fatalf("heap profile: %v", err)
	}
	rec = httptest.NewRecorder()
	MemHandler(filepath.Join(dir, "missing", "heap.pprof")).ServeHTTP(rec, httptest.NewRequest("GET", MemPath, nil))
	if rec.Code != 500 {
		t.Fatalf("unwritable profile: status %d", rec.Code)
	}
}

func TestCPUProfile(t *testing.T) {
	stop, err := StartCPUProfile("")
	if err != nil {
		t.Fatal(err)
	}
	stop()
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	stop, err = StartCPUProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("cpu profile: %v", err)
	}
}
