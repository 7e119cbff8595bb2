package diagnose

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/report/text"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func checkByID(checks []report.Check, id string) report.Check {
	for _, c := range checks {
		if c.ID == id {
			return c
		}
	}
	return report.Check{}
}

func TestProbeChecks(t *testing.T) {
	t.Parallel()
	ka := plan.Keepalive{Time: 10 * time.Second, Timeout: 20 * time.Second}
	base := func() *report.Probe {
		return &report.Probe{
			Duration: time.Minute, Options: plan.Target{Keepalive: ka},
			Result:       event.ProbeResult{Stream: "/grpc.health.v1.Health/Watch", BusyCalls: 60, Handshake: event.HandshakeTimes{TCP: time.Millisecond, HTTP2: time.Millisecond}},
			Connectivity: &report.Connectivity{GoAways: map[string]int64{}, GoAwayTiming: map[string]report.GoAwayTiming{}},
			Connections: []report.Connection{
				{Index: event.ProbeStream, EventCounts: map[event.EventKind]int64{event.EventPing: 6, event.EventPingAck: 6}},
				{Index: event.ProbeIdle}, {Index: event.ProbeBusy}},
		}
	}
	tests := []struct {
		name   string
		change func(*report.Probe)
		id     string
		want   report.CheckResult
		title  string
	}{
		{"healthy: pings accepted", nil, "keepalive_stream", report.CheckPass, "accepts keepalive pings every 10s on an open stream (6 pings, 6 answered"},
		{"four pings on the stream are enough", func(p *report.Probe) {
			p.Connections[0].EventCounts = map[event.EventKind]int64{event.EventPing: 4, event.EventPingAck: 4}
		}, "keepalive_stream", report.CheckPass, "(4 pings, 4 answered"},
		{"three pings on the stream are not: grpc-go strikes out at the fourth", func(p *report.Probe) {
			p.Connections[0].EventCounts = map[event.EventKind]int64{event.EventPing: 3, event.EventPingAck: 3}
		}, "keepalive_stream", report.CheckNotSeen, "(3 sent, 3 answered"},
		{"pings not answered", func(p *report.Probe) { p.Connections[0].EventCounts[event.EventPingAck] = 2 }, "keepalive_stream", report.CheckNotSeen,
			"Too few keepalive pings on an open stream to tell (6 sent, 2 answered"},
		{"healthy: set-up timed", nil, "connect", report.CheckPass, "TCP 1ms · HTTP/2 preface 1ms"},
		{"too few pings", func(p *report.Probe) { p.Connections[0].EventCounts[event.EventPing] = 2 }, "keepalive_stream", report.CheckNotSeen, "Too few keepalive pings"},
		{"pings rejected", func(p *report.Probe) {
			p.Connections[0].GoAways = map[string]int64{"ENHANCE_YOUR_CALM too_many_pings": 1}
		}, "keepalive_stream", report.CheckFail, "rejects keepalive pings every 10s"},
		{"no stream", func(p *report.Probe) { p.Result.Stream, p.Result.StreamErr = "", "no health, no reflection" }, "keepalive_stream", report.CheckSkipped, ""},
		{"keepalive off", func(p *report.Probe) { p.Options.Keepalive = plan.Keepalive{} }, "keepalive_stream", report.CheckSkipped, ""},
		{"idle pings not asked", nil, "keepalive_idle", report.CheckSkipped, ""},
		{"idle pings asked", func(p *report.Probe) {
			p.Options.Keepalive.PermitWithoutStream = true
			p.Connections[1].EventCounts = map[event.EventKind]int64{event.EventPing: 5, event.EventPingAck: 5}
		}, "keepalive_idle", report.CheckPass, "on an idle connection"},
		{"idle pings: 3 are not enough", func(p *report.Probe) {
			p.Options.Keepalive.PermitWithoutStream = true
			p.Connections[1].EventCounts = map[event.EventKind]int64{event.EventPing: 3, event.EventPingAck: 3}
		}, "keepalive_idle", report.CheckNotSeen, "Too few keepalive pings on an idle connection to tell (3 sent, 3 answered"},
		{"idle pings: 4 without their acks are not enough", func(p *report.Probe) {
			p.Options.Keepalive.PermitWithoutStream = true
			p.Connections[1].EventCounts = map[event.EventKind]int64{event.EventPing: 4, event.EventPingAck: 3}
		}, "keepalive_idle", report.CheckNotSeen, "Too few keepalive pings"},
		{"idle pings: 4 answered", func(p *report.Probe) {
			p.Options.Keepalive.PermitWithoutStream = true
			p.Connections[1].EventCounts = map[event.EventKind]int64{event.EventPing: 4, event.EventPingAck: 4}
		}, "keepalive_idle", report.CheckPass, "(4 pings, 4 answered"},
		{"idle close not seen", nil, "idle_close", report.CheckNotSeen, "No idle connection was closed within 1m"},
		{"idle close by GOAWAY", func(p *report.Probe) {
			p.Connections[1].GoAways = map[string]int64{"NO_ERROR max_idle": 3}
			p.Connectivity.GoAways["NO_ERROR max_idle"] = 3
			p.Connectivity.GoAwayTiming["NO_ERROR max_idle"] = report.GoAwayTiming{Idle: report.Spread{Count: 3, P50: 30 * time.Second, Min: 30 * time.Second, Max: 30 * time.Second}}
		}, "idle_close", report.CheckSeen, "The grpc-go server closes idle connections after ~30s"},
		{"idle close by C-core, INTERNAL_ERROR is harmless", func(p *report.Probe) {
			p.Connections[1].GoAways = map[string]int64{"INTERNAL_ERROR enter idle": 1}
			p.Connectivity.GoAways["INTERNAL_ERROR enter idle"] = 1
			p.Connectivity.GoAwayTiming["INTERNAL_ERROR enter idle"] = report.GoAwayTiming{Silence: spreadOf(4*time.Second, 4*time.Second, 1), LastStreamMin: 1, LastStreamMax: 1}
		}, "idle_close", report.CheckSeen, "The C-core (gRPC C++, Python, Ruby, PHP) server closes idle connections after ~4s of silence (GOAWAY INTERNAL_ERROR \"enter idle\")"},
		{"idle close by grpc-js, told from its SETTINGS", func(p *report.Probe) {
			p.Connectivity.PeerSettings = map[string]int64{"": 3}
			p.Connections[1].GoAways = map[string]int64{"NO_ERROR": 2}
			p.Connectivity.GoAways["NO_ERROR"] = 2
			p.Connectivity.GoAwayTiming["NO_ERROR"] = report.GoAwayTiming{Silence: spreadOf(2*time.Second, 2*time.Second, 2), LastStreamMin: 1, LastStreamMax: 1}
		}, "idle_close", report.CheckSeen, "The grpc-js (Node.js) server closes idle connections after ~2s of silence (GOAWAY NO_ERROR without debug data)"},
		{"idle close by a middlebox", func(p *report.Probe) {
			p.Connections[1].Closes = map[string]int64{"peer_reset": 1, "client": 1}
			p.Connections[1].Lifetime = &report.Spread{Min: 20 * time.Second}
			p.Connections[1].Events = []report.Event{
				{At: 0, Event: event.Event{Kind: event.EventOpen, Transport: 1}},
				{At: 351 * time.Second, Event: event.Event{Kind: event.EventClose, Transport: 1, Err: "connection reset by peer", Silence: 350 * time.Second}},
				{At: 352 * time.Second, Event: event.Event{Kind: event.EventOpen, Transport: 2}},
				{At: 372 * time.Second, Event: event.Event{Kind: event.EventClose, Transport: 2, Err: event.ClosedByClient, Silence: 20 * time.Second}},
			}
		}, "idle_close", report.CheckSeen, "closed without GOAWAY after ~5m50s"},
		{"idle close by a proxy", func(p *report.Probe) {
			p.Connectivity.PeerSettings = map[string]int64{"ENABLE_CONNECT_PROTOCOL=1 MAX_CONCURRENT_STREAMS=100": 3}
			p.Connectivity.GoAways["NO_ERROR"] = 2
			p.Connectivity.GoAwayTiming["NO_ERROR"] = report.GoAwayTiming{Silence: spreadOf(1000*time.Millisecond, 1010*time.Millisecond, 2), LastStreamMin: 1, LastStreamMax: 1}
			p.Connections[1].GoAways = map[string]int64{"NO_ERROR": 2}
			p.Connections[1].Events = []report.Event{
				{At: 2 * time.Second, Event: event.Event{Kind: event.EventGoAway, Transport: 1, Code: "NO_ERROR", LastStreamID: 1, Silence: 1000 * time.Millisecond}},
				{At: 4 * time.Second, Event: event.Event{Kind: event.EventGoAway, Transport: 2, Code: "NO_ERROR", LastStreamID: 1, Silence: 1010 * time.Millisecond}},
			}
		}, "idle_close", report.CheckSeen, "The proxy (haproxy (mode http)) closes idle connections after ~1s"},
		{"idle close, nobody named", func(p *report.Probe) {
			p.Connectivity.GoAways["NO_ERROR"] = 2
			p.Connectivity.GoAwayTiming["NO_ERROR"] = report.GoAwayTiming{Silence: spreadOf(1000*time.Millisecond, 1010*time.Millisecond, 2), LastStreamMin: 1, LastStreamMax: 1}
		}, "idle_close", report.CheckSeen, "The server (or a proxy in front of it) closes idle connections after ~1s"},
		{"peer is nginx", func(p *report.Probe) {
			p.Connectivity.PeerSettings = map[string]int64{"MAX_CONCURRENT_STREAMS=128 INITIAL_WINDOW_SIZE=65536 MAX_FRAME_SIZE=16777215": 3}
		}, "peer", report.CheckSeen, "The peer answering is a proxy (nginx), not the gRPC server"},
		{"stream reset by a proxy", func(p *report.Probe) {
			p.Result.StreamEnds = []string{"rpc error: code = Internal desc = stream terminated by RST_STREAM with error code: INTERNAL_ERROR",
				"rpc error: code = Internal desc = stream terminated by RST_STREAM with error code: INTERNAL_ERROR",
				`rpc error: code = Unavailable desc = error reading from server: EOF`}
		}, "stream_cut", report.CheckSeen, "ended 3 times by the other side: RST_STREAM INTERNAL_ERROR ×2; connection closed (EOF)"},
		{"idle connection closed by too_many_pings", func(p *report.Probe) {
			p.Connections[1].GoAways = map[string]int64{"ENHANCE_YOUR_CALM too_many_pings": 1}
			p.Connections[1].Closes = map[string]int64{"after_goaway": 1}
		}, "idle_close", report.CheckNotSeen, "The idle connection was closed by something else (GOAWAY ENHANCE_YOUR_CALM too_many_pings) within 1m"},
		{"idle connection closed by a keepalive timeout", func(p *report.Probe) {
			p.Connections[1].Closes = map[string]int64{"client_ping_unanswered": 1}
		}, "idle_close", report.CheckNotSeen, "closed by something else (ping unanswered)"},
		{"stream not cut", nil, "stream_cut", report.CheckNotSeen, "No stream was cut within 1m"},
		{"stream cut, lifetime from the events", func(p *report.Probe) {
			p.Result.StreamEnds = []string{`rpc error: code = Unavailable desc = closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_age"`}
			p.Connections[0].GoAways = map[string]int64{"NO_ERROR max_age": 1}
			p.Connectivity.GoAways["NO_ERROR max_age"] = 1
			p.Connections[0].Events = []report.Event{
				{At: -time.Millisecond, Event: event.Event{Kind: event.EventOpen, Transport: 1}},
				{At: 30 * time.Second, Event: event.Event{Kind: event.EventGoAway, Transport: 1, Code: "NO_ERROR", Debug: "max_age"}},
				{At: 40*time.Second - time.Millisecond, Event: event.Event{Kind: event.EventClose, Transport: 1}},
			}
			p.Connectivity.GoAwayTiming["NO_ERROR max_age"] = report.GoAwayTiming{Age: report.Spread{Mean: 30 * time.Second}}
		}, "stream_cut", report.CheckSeen, "cuts streams after ~40s (age limit + grace)"},
		{"stream cut by C-core: reset, then its own word", func(p *report.Probe) {
			p.Result.StreamEnds = []string{"rpc error: code = Unavailable desc = enter idle"}
			p.Connectivity.PeerSettings = map[string]int64{"INITIAL_WINDOW_SIZE=4194303 MAX_FRAME_SIZE=4194303 MAX_HEADER_LIST_SIZE=8192 0xfe03=1": 3}
			p.Connectivity.GoAways["NO_ERROR"] = 6
			p.Connectivity.GoAwayTiming["NO_ERROR"] = report.GoAwayTiming{Age: *spreadOf(1900*time.Millisecond, 2200*time.Millisecond, 6),
				Silence: spreadOf(90*time.Millisecond, 2180*time.Millisecond, 6), Sentinels: 6, LastStreamMin: 1, LastStreamMax: 3, FirstAt: 2 * time.Second, LastAt: 6 * time.Second}
		}, "stream_cut", report.CheckSeen, "The C-core (gRPC C++, Python, Ruby, PHP) server cuts streams after ~2.05s (age limit) plus its grace"},
		{"age seen from timing, no debug data, sentinel", func(p *report.Probe) {
			p.Connectivity.GoAways["NO_ERROR"] = 6
			p.Connectivity.GoAwayTiming["NO_ERROR"] = report.GoAwayTiming{Age: *spreadOf(1900*time.Millisecond, 2200*time.Millisecond, 6),
				Silence: spreadOf(90*time.Millisecond, 2180*time.Millisecond, 6), Sentinels: 6, LastStreamMin: 1, LastStreamMax: 1, FirstAt: 2 * time.Second, LastAt: 6 * time.Second}
		}, "max_age", report.CheckSeen, "recycles connections after ~2.05s (a connection age limit, GOAWAY NO_ERROR without debug data)"},
		{"no proxy from a GOAWAY without debug data", func(p *report.Probe) {
			p.Connectivity.PeerSettings = map[string]int64{"MAX_FRAME_SIZE=16384": 3}
			p.Connectivity.GoAways["NO_ERROR"] = 1
		}, "peer", report.CheckSeen, "The server is grpc-go"},
		{"stream cut, no close seen", func(p *report.Probe) {
			p.Result.StreamEnds = []string{"rpc error: code = Unavailable desc = the connection is draining"}
			p.Connectivity.GoAways["NO_ERROR max_age"] = 1
			p.Connections[0].GoAways = map[string]int64{"NO_ERROR max_age": 1}
			p.Connectivity.GoAwayTiming["NO_ERROR max_age"] = report.GoAwayTiming{Age: report.Spread{Mean: 30 * time.Second}}
		}, "stream_cut", report.CheckSeen, "cuts streams after ~30s (age limit) plus its grace"},
		{"max_age on the stream connection, the stream lived on", func(p *report.Probe) {
			p.Connections[0].GoAways = map[string]int64{"NO_ERROR max_age": 1}
		}, "stream_cut", report.CheckNotSeen, ""},
		{"age not seen", nil, "max_age", report.CheckNotSeen, ""},
		{"age seen", func(p *report.Probe) {
			p.Connections[2].GoAways = map[string]int64{"NO_ERROR max_age": 1}
			p.Connectivity.GoAways["NO_ERROR max_age"] = 1
			p.Connectivity.GoAwayTiming["NO_ERROR max_age"] = report.GoAwayTiming{Age: report.Spread{Mean: 45 * time.Second}}
		}, "max_age", report.CheckSeen, "recycles connections after ~45s"},
		{"no reconnect", nil, "reconnect", report.CheckNotSeen, "no reconnect was timed"},
		{"busy failures", func(p *report.Probe) { p.Result.BusyFailures = 3 }, "busy_calls", report.CheckFail, "3 of 60 calls"},
		{"interrupted", func(p *report.Probe) { p.Result.Interrupted = true; p.Duration = 5 * time.Second }, "max_age", report.CheckNotSeen, "within 5s (interrupted; 1m0s were asked)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			if tt.change != nil {
				tt.change(p)
			}
			c := checkByID(ProbeChecks(p, time.Minute), tt.id)
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
	few := report.Connection{EventCounts: map[event.EventKind]int64{event.EventPing: 1, event.EventPingAck: 1}}
	for _, tt := range []struct {
		need int64
		want string
	}{{4, "at least 45s"}, {3, "at least 35s"}} {
		c := keepaliveCheck("k", "here", few, 10*time.Second, "10s", tt.need, false, "why")
		if c.Result != report.CheckNotSeen || !strings.Contains(c.Detail, tt.want) {
			t.Errorf("need %d: %s %q, want not seen with %q", tt.need, c.Result, c.Detail, tt.want)
		}
	}
}

func TestProbeReport(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)
	ms := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Millisecond))) }
	r := record.NewManual(event.Unary, 1, func() time.Time { return t0 })
	r.Begin(t0)
	r.ConnEvent(event.Event{Conn: event.ProbeIdle, Transport: 1, Time: ms(10), Kind: event.EventOpen, Remote: "10.0.0.1:50051"})
	r.ConnEvent(event.Event{Conn: event.ProbeIdle, Transport: 1, Time: ms(700), Kind: event.EventGoAway, Code: "NO_ERROR", Debug: "max_idle"})
	r.End(ms(2000))
	target := plan.Target{Addr: "10.0.0.1:50051", Keepalive: plan.Keepalive{Time: 10 * time.Second, Timeout: time.Second}}
	s := r.Summary(record.Meta{Kind: event.Unary, Options: plan.Options{Target: target}, Notes: target.Notes()})
	s.Findings = Findings(s)
	p := report.NewProbe(s, event.ProbeResult{})
	p.Checks = ProbeChecks(p, 2*time.Second)
	var txt bytes.Buffer
	if err := text.RenderProbe(&txt, p, text.PlainStyles(), 100); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"grpcpulse diagnose → 10.0.0.1:50051", "SEEN     The grpc-go server closes idle connections after", "SEEN     The server is grpc-go", "NOT SEEN"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, txt.String())
		}
	}
	var js bytes.Buffer
	if err := report.WriteProbeJSON(&js, p); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Schema string         `json:"schema"`
		Checks []report.Check `json:"checks"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Schema != report.ProbeSchema || len(back.Checks) != 9 {
		t.Errorf("JSON: schema %q, %d checks, %v", back.Schema, len(back.Checks), err)
	}
}
