package runner

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sockgate/sockgate/bench/gen"
)

// Record is one generator result of one run, or the failure of a run.
type Record struct {
	Kind     string      `json:"kind"` // "result", "failure", "run" (a whole run's header) or "validate"
	RunID    string      `json:"run_id"`
	Time     time.Time   `json:"time"`
	Rep      int         `json:"rep"`
	Target   string      `json:"target,omitempty"`
	Scenario string      `json:"scenario,omitempty"`
	Client   string      `json:"client,omitempty"` // validation: "generator" or "socket.io-client"
	Error    string      `json:"error,omitempty"`
	Result   *gen.Result `json:"result,omitempty"`
	Info     *Machine    `json:"info,omitempty"`
	Quick    bool        `json:"quick,omitempty"`
	Elapsed  float64     `json:"elapsed_s,omitempty"`
}

// Record kinds.
const (
	KindRun      = "run"
	KindResult   = "result"
	KindFailure  = "failure"
	KindValidate = "validate"
	KindEnd      = "end"
)

// appendRecords appends records to path as JSON lines.
func appendRecords(path string, recs ...Record) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	enc := json.NewEncoder(f)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return fmt.Errorf("runner: %w", err)
		}
	}
	return f.Close()
}

// ReadRecords reads a results file.
func ReadRecords(r io.Reader) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("runner: results line %d: %w", len(out)+1, err)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("runner: reading results: %w", err)
	}
	return out, nil
}

// lastRun returns the records of the last run in recs (from its last "run" header on).
func lastRun(recs []Record) ([]Record, error) {
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Kind == KindRun {
			return recs[i:], nil
		}
	}
	return nil, errors.New("runner: no run in the results")
}
