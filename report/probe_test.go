package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/conn"
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
	ka := conn.Keepalive{Time: 10 * time.Second, Timeout: 20 * time.Second}
	base := func() *Probe {
		return &Probe{
			Duration: time.Minute, Options: conn.Target{Keepalive: ka},
			Result:       conn.ProbeResult{Stream: "/grpc.health.v1.Health/Watch", BusyCalls: 60, Handshake: conn.HandshakeTimes{TCP: time.Millisecond, HTTP2: time.Millisecond}},
			Connectivity: &Connectivity{GoAwayTiming: map[string]GoAwayTiming{}},
			Connections: []Connection{
				{Index: conn.ProbeStream, EventCounts: map[conn.EventKind]int64{conn.EventPing: 6, conn.EventPingAck: 6}},
				{Index: conn.ProbeIdle}, {Index: conn.ProbeBusy}},
		}
	}
	tests := []struct {
		name   string
		change func(*Probe)
		id     string
		want   CheckResult
		title  string
	}{
		{"healthy: pings accepted", nil, "keepalive_stream", CheckPass, "accepts keepalive pings every 10s on an open stream (6 pings, 6 answered"},
		{"three pings on the stream are enough", func(p *Probe) {
			p.Connections[0].EventCounts = map[conn.EventKind]int64{conn.EventPing: 3, conn.EventPingAck: 3}
		}, "keepalive_stream", CheckPass, "(3 pings, 3 answered"},
		{"pings not answered", func(p *Probe) { p.Connections[0].EventCounts[conn.EventPingAck] = 2 }, "keepalive_stream", CheckNotSeen,
			"Too few keepalive pings on an open stream to tell (6 sent, 2 answered"},
		{"healthy: set-up timed", nil, "connect", CheckPass, "TCP 1ms · HTTP/2 preface 1ms"},
		{"too few pings", func(p *Probe) { p.Connections[0].EventCounts[conn.EventPing] = 2 }, "keepalive_stream", CheckNotSeen, "Too few keepalive pings"},
		{"pings rejected", func(p *Probe) {
			p.Connections[0].GoAways = map[string]int64{"ENHANCE_YOUR_CALM too_many_pings": 1}
		}, "keepalive_stream", CheckFail, "rejects keepalive pings every 10s"},
		{"no stream", func(p *Probe) { p.Result.Stream, p.Result.StreamErr = "", "no health, no reflection" }, "keepalive_stream", CheckSkipped, ""},
		{"keepalive off", func(p *Probe) { p.Options.Keepalive = conn.Keepalive{} }, "keepalive_stream", CheckSkipped, ""},
		{"idle pings not asked", nil, "keepalive_idle", CheckSkipped, ""},
		{"idle pings asked", func(p *Probe) {
			p.Options.Keepalive.PermitWithoutStream = true
			p.Connections[1].EventCounts = map[conn.EventKind]int64{conn.EventPing: 5, conn.EventPingAck: 5}
		}, "keepalive_idle", CheckPass, "on an idle connection"},
		{"idle pings: 3 are not enough", func(p *Probe) {
			p.Options.Keepalive.PermitWithoutStream = true
			p.Connections[1].EventCounts = map[conn.EventKind]int64{conn.EventPing: 3, conn.EventPingAck: 3}
		}, "keepalive_idle", CheckNotSeen, "Too few keepalive pings on an idle connection to tell (3 sent, 3 answered"},
		{"idle pings: 4 without their acks are not enough", func(p *Probe) {
			p.Options.Keepalive.PermitWithoutStream = true
			p.Connections[1].EventCounts = map[conn.EventKind]int64{conn.EventPing: 4, conn.EventPingAck: 3}
		}, "keepalive_idle", CheckNotSeen, "Too few keepalive pings"},
		{"idle pings: 4 answered", func(p *Probe) {
			p.Options.Keepalive.PermitWithoutStream = true
			p.Connections[1].EventCounts = map[conn.EventKind]int64{conn.EventPing: 4, conn.EventPingAck: 4}
		}, "keepalive_idle", CheckPass, "(4 pings, 4 answered"},
		{"idle close not seen", nil, "idle_close", CheckNotSeen, "No idle connection was closed within 1m"},
		{"idle close by GOAWAY", func(p *Probe) {
			p.Connections[1].GoAways = map[string]int64{"NO_ERROR max_idle": 3}
			p.Connectivity.GoAwayTiming["NO_ERROR max_idle"] = GoAwayTiming{Idle: Spread{P50: 30 * time.Second}}
		}, "idle_close", CheckSeen, "closes idle connections after ~30s"},
		{"idle close by a middlebox", func(p *Probe) {
			p.Connections[1].Closes = map[string]int64{"peer_reset": 1}
			p.Connections[1].Lifetime = &Spread{Min: 350 * time.Second}
		}, "idle_close", CheckSeen, "closed without GOAWAY after ~5m50s"},
		{"idle connection closed by too_many_pings", func(p *Probe) {
			p.Connections[1].GoAways = map[string]int64{"ENHANCE_YOUR_CALM too_many_pings": 1}
			p.Connections[1].Closes = map[string]int64{"after_goaway": 1}
		}, "idle_close", CheckNotSeen, "The idle connection was closed by something else (GOAWAY ENHANCE_YOUR_CALM too_many_pings) within 1m"},
		{"idle connection closed by a keepalive timeout", func(p *Probe) {
			p.Connections[1].Closes = map[string]int64{"client_ping_unanswered": 1}
		}, "idle_close", CheckNotSeen, "closed by something else (ping unanswered)"},
		{"stream not cut", nil, "stream_cut", CheckNotSeen, "No stream was cut within 1m"},
		{"stream cut, lifetime from the events", func(p *Probe) {
			p.Result.StreamEnds = []string{`rpc error: code = Unavailable desc = closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_age"`}
			p.Connections[0].GoAways = map[string]int64{"NO_ERROR max_age": 1}
			p.Connections[0].Events = []Event{
				{At: -time.Millisecond, Event: conn.Event{Kind: conn.EventOpen, Transport: 1}},
				{At: 30 * time.Second, Event: conn.Event{Kind: conn.EventGoAway, Transport: 1, Code: "NO_ERROR", Debug: "max_age"}},
				{At: 40*time.Second - time.Millisecond, Event: conn.Event{Kind: conn.EventClose, Transport: 1}},
			}
			p.Connectivity.GoAwayTiming["NO_ERROR max_age"] = GoAwayTiming{Age: Spread{Mean: 30 * time.Second}}
		}, "stream_cut", CheckSeen, "cuts streams after ~40s (MaxConnectionAge + grace)"},
		{"stream cut, no close seen", func(p *Probe) {
			p.Result.StreamEnds = []string{"rpc error: code = Unavailable desc = the connection is draining"}
			p.Connections[0].GoAways = map[string]int64{"NO_ERROR max_age": 1}
			p.Connectivity.GoAwayTiming["NO_ERROR max_age"] = GoAwayTiming{Age: Spread{Mean: 30 * time.Second}}
		}, "stream_cut", CheckSeen, "cuts streams after ~30s (MaxConnectionAge) plus its grace"},
		{"max_age on the stream connection, the stream lived on", func(p *Probe) {
			p.Connections[0].GoAways = map[string]int64{"NO_ERROR max_age": 1}
		}, "stream_cut", CheckNotSeen, ""},
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
// The hint says how long a probe would have seen enough pings.
func TestKeepaliveCheckHint(t *testing.T) {
	t.Parallel()
	few := Connection{EventCounts: map[conn.EventKind]int64{conn.EventPing: 1, conn.EventPingAck: 1}}
	for _, tt := range []struct {
		need int64
		want string
	}{{4, "at least 45s"}, {3, "at least 35s"}} {
		c := keepaliveCheck("k", "here", few, 10*time.Second, "10s", tt.need, false, "why")
		if c.Result != CheckNotSeen || !strings.Contains(c.Detail, tt.want) {
			t.Errorf("need %d: %s %q, want not seen with %q", tt.need, c.Result, c.Detail, tt.want)
		}
	}
}

func TestProbeReport(t *testing.T) {
	t.Parallel()
	r := newTestRecorder(runner.Unary, 1)
	r.Begin(t0)
	r.ConnEvent(conn.Event{Conn: conn.ProbeIdle, Transport: 1, Time: ms(10), Kind: conn.EventOpen, Remote: "10.0.0.1:50051"})
	r.ConnEvent(conn.Event{Conn: conn.ProbeIdle, Transport: 1, Time: ms(700), Kind: conn.EventGoAway, Code: "NO_ERROR", Debug: "max_idle"})
	r.End(ms(2000))
	p := SummarizeProbe(r, ProbeMeta{Target: "10.0.0.1:50051", Duration: 2 * time.Second,
		Options: conn.Target{Addr: "10.0.0.1:50051", Keepalive: conn.Keepalive{Time: 10 * time.Second, Timeout: time.Second}}})
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
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Schema != ProbeSchema || len(back.Checks) != 8 {
		t.Errorf("JSON: schema %q, %d checks, %v", back.Schema, len(back.Checks), err)
	}
}
