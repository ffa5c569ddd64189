package runner

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sockgate/sockgate/bench/gen"
)

// Clients of the generator check.
const (
	ClientGenerator = "generator"
	ClientOfficial  = "socket.io-client"
)

// vcase is one scenario of the generator check, in the generator's flags and the
// official client script's.
type vcase struct {
	name      string
	gen, node []string
}

// validationCases are small enough that socket.io-client is not its own bottleneck.
func validationCases(quick bool) []vcase {
	steps, secs, dur, bsecs, bdur := "1000,3000", "2", "2s", "3", "3s"
	if quick {
		steps, secs, dur, bsecs, bdur = "300,900", "1", "1s", "1", "1s"
	}
	return []vcase{
		{"idle",
			[]string{"-scenario", gen.ScenarioIdle, "-idle-steps", steps, "-idle-settle", "1s"},
			[]string{"--scenario", "idle", "--steps", steps, "--settle", "1000"}},
		{"ack",
			[]string{"-scenario", gen.ScenarioAck, "-ack-clients", "none", "-ack-fixed", "2000", "-ack-fixed-clients", "20", "-step", dur, "-warmup", "0"},
			[]string{"--scenario", "ack", "--clients", "20", "--rate", "2000", "--seconds", secs}},
		{"bcast",
			[]string{"-scenario", gen.ScenarioBcast, "-rooms", "300", "-rates", "6000", "-step", bdur, "-cpu-step", bdur, "-warmup", "0", "-min-bcasts", "1"},
			[]string{"--scenario", "bcast", "--room", "300", "--rate", "6000", "--seconds", bsecs}},
	}
}

// validate runs every check case against target with both clients, each on a fresh
// server.
func (r *runner) validate(ctx context.Context, target string) []Record {
	var out []Record
	for _, vc := range validationCases(r.o.Quick) {
		for _, client := range []string{ClientGenerator, ClientOfficial} {
			port, src := r.slot()
			base := Record{Kind: KindValidate, RunID: r.runID, Target: target, Scenario: vc.name, Client: client}
			results, err := r.validateOne(ctx, target, client, vc, port, src)
			if err != nil {
				r.logf("check %s %s %s: FAILED: %v", vc.name, target, client, err)
				f := base
				f.Kind, f.Time, f.Error = KindFailure, time.Now(), err.Error()
				f.Scenario = "check-" + vc.name
				out = append(out, f)
				continue
			}
			for i := range results {
				rec := base
				rec.Time, rec.Result = time.Now(), &results[i]
				out = append(out, rec)
			}
		}
	}
	return out
}

func (r *runner) validateOne(ctx context.Context, target, client string, vc vcase, port int, src string) ([]gen.Result, error) {
	srv, err := r.startServer(ctx, target, port, "")
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	pid := strconv.Itoa(srv.cmd.Process.Pid)
	ctx, cancel := context.WithTimeout(ctx, r.o.RunLimit)
	defer cancel()
	label := fmt.Sprintf("check-%s %s %s", vc.name, target, client)
	var cmd *exec.Cmd
	if client == ClientGenerator {
		args := append([]string{"-c", r.o.GenCPU, r.self, "gen", "-addr", srv.addr, "-src", src, "-pid", pid}, vc.gen...)
		cmd = exec.CommandContext(ctx, "taskset", args...)
	} else {
		first, _, _ := strings.Cut(src, "-")
		args := append([]string{"-c", r.o.GenCPU, "node", filepath.Join(r.o.NodeDir, "client.js"),
			"--url", "http://" + srv.addr, "--pid", pid, "--src", first}, vc.node...)
		cmd = exec.CommandContext(ctx, "taskset", args...)
	}
	cmd.WaitDelay = 5 * time.Second
	return r.collect(cmd, label)
}
