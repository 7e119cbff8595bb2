package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/runner"
)

func checkByID(checks []Check, id string) Check {
	for _, c := range checks {
		if c.ID == id {
			return c
		}
	}
	return Check{}
}

func TestProbeChecks(t *testing.T) {
	t.Parallel()
	ka := runner.Keepalive{Time: 10 * time.Second, Timeout: 20 * time.Second}
	base := func() *Probe {
		return &Probe{
			Duration: time.Minute, Options: runner.Target{Keepalive: ka},
			Result:       runner.ProbeResult{Stream: "/grpc.health.v1.Health/Watch", BusyCalls: 60, Handshake: runner.HandshakeTimes{TCP: time.Millisecond, HTTP2: time.Millisecond}},
			Connectivity: &Connectivity{GoAwayTiming: map[string]GoAwayTiming{}},
			Connections: []Connection{
				{Index: runner.ProbeStream, EventCounts: map[runner.EventKind]int64{runner.EventPing: 6}},
				{Index: runner.ProbeIdle}, {Index: runner.ProbeBusy}},
		}
	}
	tests := []struct {
		name   string
		change func(*Probe)
		id     string
		want   CheckResult
		title  string
	}{
		{"healthy: pings accepted", nil, "keepalive_stream", CheckPass, "accepts keepalive pings every 10s on an open stream (6 pings"},
		{"healthy: set-up timed", nil, "connect", CheckPass, "TCP 1ms · HTTP/2 preface 1ms"},
		{"too few pings", func(p *Probe) { p.Connections[0].EventCounts[runner.EventPing] = 2 }, "keepalive_stream", CheckNotSeen, "Too few keepalive pings"},
		{"pings rejected", func(p *Probe) {
			p.Connections[0].GoAways = map[string]int64{"ENHANCE_YOUR_CALM too_many_pings": 1}
		}, "keepalive_stream", CheckFail, "rejects keepalive pings every 10s"},
		{"no stream", func(p *Probe) { p.Result.Stream, p.Result.StreamErr = "", "no health, no reflection" }, "keepalive_stream", CheckSkipped, ""},
		{"keepalive off", func(p *Probe) { p.Options.Keepalive = runner.Keepalive{} }, "keepalive_stream", CheckSkipped, ""},
		{"idle pings not asked", nil, "keepalive_idle", CheckSkipped, ""},
		{"idle pings asked", func(p *Probe) {
			p.Options.Keepalive.PermitWithoutStream = true
			p.Connections[1].EventCounts = map[runner.EventKind]int64{runner.EventPing: 5}
		}, "keepalive_idle", CheckPass, "on an idle connection"},
		{"idle close not seen", nil, "idle_close", CheckNotSeen, "No idle connection was closed within 1m"},
		{"idle close by GOAWAY", func(p *Probe) {
			p.Connections[1].GoAways = map[string]int64{"NO_ERROR max_idle": 3}
			p.Connectivity.GoAwayTiming["NO_ERROR max_idle"] = GoAwayTiming{Idle: Spread{P50: 30 * time.Second}}
		}, "idle_close", CheckSeen, "closes idle connections after ~30s"},
		{"idle close by a middlebox", func(p *Probe) {
			p.Connections[1].Closes = map[string]int64{"peer_reset": 1}
			p.Connections[1].Lifetime = &Spread{Min: 350 * time.Second}
		}, "idle_close", CheckSeen, "closed without GOAWAY after ~5m50s"},
		{"age not seen", nil, "max_age", CheckNotSeen, ""},
		{"age seen", func(p *Probe) {
			p.Connections[2].GoAways = map[string]int64{"NO_ERROR max_age": 1}
			p.Connectivity.GoAwayTiming["NO_ERROR max_age"] = GoAwayTiming{Age: Spread{Mean: 45 * time.Second}}
		}, "max_age", CheckSeen, "recycles connections after ~45s"},
		{"no reconnect", nil, "reconnect", CheckNotSeen, "no reconnect was timed"},
		{"busy failures", func(p *Probe) { p.Result.BusyFailures = 3 }, "busy_calls", CheckFail, "3 of 60 calls"},
		{"interrupted", func(p *Probe) { p.Result.Interrupted = true; p.Duration = 5 * time.Second }, "max_age", CheckNotSeen, "within 5s (interrupted; 1m0s were asked)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			if tt.change != nil {
				tt.change(p)
			}
			c := checkByID(probeChecks(p, time.Minute), tt.id)
			if c.Result != tt.want || !strings.Contains(c.Title, tt.title) {
				t.Errorf("check %s = %s %q (%s), want %s with %q", tt.id, c.Result, c.Title, c.Detail, tt.want, tt.title)
			}
		})
	}
}

// The probe report renders and writes JSON a script can read.
func TestProbeReport(t *testing.T) {
	t.Parallel()
	r := newTestRecorder(runner.Unary, 1)
	r.Begin(t0)
	r.ConnEvent(runner.ConnEvent{Conn: runner.ProbeIdle, Transport: 1, Time: ms(10), Kind: runner.EventOpen, Remote: "10.0.0.1:50051"})
	r.ConnEvent(runner.ConnEvent{Conn: runner.ProbeIdle, Transport: 1, Time: ms(700), Kind: runner.EventGoAway, Code: "NO_ERROR", Debug: "max_idle"})
	r.End(ms(2000))
	p := SummarizeProbe(r, ProbeMeta{Target: "10.0.0.1:50051", Duration: 2 * time.Second,
		Options: runner.Target{Addr: "10.0.0.1:50051", Keepalive: runner.Keepalive{Time: 10 * time.Second, Timeout: time.Second}}})
	var text bytes.Buffer
	if err := RenderProbeText(&text, p, PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"grpcpulse diagnose → 10.0.0.1:50051", "SEEN     The server closes idle connections after", "NOT SEEN"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := WriteProbeJSON(&js, p); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Schema string  `json:"schema"`
		Checks []Check `json:"checks"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Schema != ProbeSchema || len(back.Checks) != 7 {
		t.Errorf("JSON: schema %q, %d checks, %v", back.Schema, len(back.Checks), err)
	}
}
