package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// ProbeSchema is the version of the diagnose report's JSON.
const ProbeSchema = "grpcpulse.diagnose/v1"

// Probe is the outcome of `grpcpulse diagnose` as plain data: what each
// check found, the connections' events and the findings. Everything it
// renders from is in its exported fields, so a Probe read back with
// ReadProbeJSON renders as the original did.
type Probe struct {
	Schema       string            `json:"schema"`
	Tool         Tool              `json:"tool"`
	Target       string            `json:"target"`
	StartedAt    Timestamp         `json:"started_at"`
	Duration     time.Duration     `json:"duration_ns"`
	Options      plan.Target       `json:"options"`
	Result       event.ProbeResult `json:"probe"`
	Checks       []Check           `json:"checks"`
	Connectivity *Connectivity     `json:"connectivity"`
	Connections  []Connection      `json:"connections"`
	Findings     []Finding         `json:"findings"`
	Peer         *Peer             `json:"peer,omitempty"`
}

// CheckResult is what a check of the probe found.
type CheckResult string

// The results of a check.
const (
	CheckPass    CheckResult = "pass"     // tested, and fine
	CheckFail    CheckResult = "fail"     // tested, and a problem
	CheckSeen    CheckResult = "seen"     // a behaviour of the server, observed (a limit and its value)
	CheckNotSeen CheckResult = "not_seen" // not observed within the probe's time: not ruled out
	CheckSkipped CheckResult = "skipped"  // could not be tested (Detail says why)
)

// Check is one question the probe answers.
type Check struct {
	ID     string      `json:"id"`
	Result CheckResult `json:"result"`
	Title  string      `json:"title"`
	Detail string      `json:"detail"`
}

// NewProbe makes the Probe of a finished probe from the Summary of its
// recording (with its findings) and what the probe itself saw. Checks are
// left for the caller (diagnose.ProbeChecks).
//
// The probe's calls are not recorded call by call: each connection's Calls
// comes from res (and the busy connection's Errors are its transport
// failures).
func NewProbe(s *Summary, res event.ProbeResult) *Probe {
	conns := slices.Clone(s.Connections)
	for i := range conns {
		if idx := conns[i].Index; idx >= 0 && idx < len(res.Calls) {
			conns[i].Calls = res.Calls[idx]
		}
		if conns[i].Index == event.ProbeBusy {
			conns[i].Errors = res.BusyFailures
		}
	}
	return &Probe{Schema: ProbeSchema, Tool: s.Tool, Target: s.Target, StartedAt: s.StartedAt,
		Duration: s.Duration, Options: s.Options.Target, Result: res,
		Connectivity: s.Connectivity, Connections: conns, Findings: s.Findings, Peer: s.Peer}
}

// WriteProbeJSON writes p as indented JSON.
func WriteProbeJSON(w io.Writer, p *Probe) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err == nil {
		_, err = w.Write(append(b, '\n'))
	}
	if err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}
