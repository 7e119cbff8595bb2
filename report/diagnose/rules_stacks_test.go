package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// Fingerprints as the tap writes them, from runs against each stack
// (docs/diagnosis-stacks.md).
const (
	grpcGoSettings = "MAX_FRAME_SIZE=16384"
	cCoreSettings  = "INITIAL_WINDOW_SIZE=4194303 MAX_FRAME_SIZE=4194303 MAX_HEADER_LIST_SIZE=8192 0xfe03=1"
	grpcJSSettings = "" // Node.js http2 sends an empty SETTINGS frame
)

// drainTiming is a GOAWAY reason's timing: ages, silences, the real last
// stream ids, sentinels, and when the first and last came.
func drainTiming(age, silence *report.Spread, lastMin, lastMax uint32, sentinels int64, first, last time.Duration) report.GoAwayTiming {
	g := report.GoAwayTiming{Silence: silence, LastStreamMin: lastMin, LastStreamMax: lastMax, Sentinels: sentinels, FirstAt: first, LastAt: last}
	if age != nil {
		g.Age, g.Idle = *age, *age
	}
	return g
}

// Each stack's behaviours (synthetic events as the recorder sums them) →
// findings: the right cause, the right side, the peer's own option, and
// never a request cap from 2^31−1.
func TestStackRules(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		set      func(s *report.Summary)
		id       string // the finding wanted; "" for no warning or error at all
		severity report.Severity
		want     []string // in its title, cause, fix or evidence
		not      []string // ids that must not appear
		absent   []string // words the wanted finding must not use
		impl     string   // peer.implementation wanted
	}{
		{name: "C-core age: sentinel, no debug data, told by timing", impl: "C-core", id: "max_age_recycling", severity: report.SeverityInfo,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.PeerSettings = map[string]int64{cCoreSettings: 8}
				c.GoAways["NO_ERROR"] = 8
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(1880*ms, 2180*ms, 8), spreadOf(90*ms, 2300*ms, 8), 1, 5, 8, 2*time.Second, 6700*ms)
			},
			want: []string{"every ~2s", "C-core's channel arg grpc.max_connection_age_ms", "2147483647", "not a count"},
			not:  []string{"request_cap", "intermediary_idle_timeout", "server_restart"}},
		{name: "grpc-js age: max_age, then a GOAWAY without debug data", impl: "grpc-js", id: "max_age_recycling", severity: report.SeverityInfo,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.PeerSettings = map[string]int64{grpcJSSettings: 8}
				c.GoAways[event.CauseDrainMaxAge.GoAway()] = 8
				c.GoAwayTiming[event.CauseDrainMaxAge.GoAway()] = drainTiming(spreadOf(1840*ms, 2370*ms, 8), spreadOf(190*ms, 2080*ms, 8), 0, 0, 8, 1900*ms, 6200*ms)
			},
			want: []string{"grpc-js's server option grpc.max_connection_age_ms", "grpc-js (Node.js) server recycles"},
			not:  []string{"request_cap", "server_restart"}},
		{name: "a single sentinel GOAWAY without debug data is no request cap", impl: "unknown", id: "",
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.GoAways["NO_ERROR"] = 3
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(5*time.Second, 9*time.Second, 3), spreadOf(0, ms, 3), 0, 0, 3, time.Second, 9*time.Second)
			},
			not: []string{"request_cap"}},
		{name: "the second GOAWAY's real id, constant, is no request cap after a sentinel", id: "",
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.GoAways["NO_ERROR"] = 4
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(time.Second, 7*time.Second, 4), spreadOf(0, ms, 4), 1, 1, 4, time.Second, 9*time.Second)
			},
			not: []string{"request_cap"}},
		{name: "a real request cap", id: "request_cap", severity: report.SeverityInfo,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.GoAways["NO_ERROR"] = 4
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(time.Second, 7*time.Second, 4), spreadOf(0, ms, 4), 1999, 1999, 0, time.Second, 9*time.Second)
			},
			want: []string{"after 1000 requests", "no 2^31−1"}},
		{name: "grpc-js idle: NO_ERROR without debug data after the same silence, a server not a proxy", impl: "grpc-js", id: "idle_closed", severity: report.SeverityInfo,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.PeerSettings = map[string]int64{grpcJSSettings: 3}
				c.GoAways["NO_ERROR"] = 3
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(2050*ms, 2700*ms, 3), spreadOf(2290*ms, 2310*ms, 3), 1, 1, 0, 2800*ms, 7100*ms)
			},
			want:   []string{"grpc-js (Node.js) server closes connections idle for ~2.3s", "grpc.max_connection_idle_ms"},
			absent: []string{"periodically"},
			not:    []string{"intermediary_idle_timeout", "request_cap"}},
		{name: "grpc-js idle: a timer re-armed once closes at twice the limit, the setting is the shortest silence", impl: "grpc-js", id: "idle_closed", severity: report.SeverityInfo,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.PeerSettings = map[string]int64{grpcJSSettings: 2}
				c.GoAways["NO_ERROR"] = 2
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(300*ms, 1600*ms, 2), spreadOf(300*ms, 601*ms, 2), 1, 1, 0, 310*ms, 1607*ms)
			},
			want:   []string{"grpc-js (Node.js) server closes connections idle for ~300ms", "re-arms (600ms here)", "after ~300ms or twice it", "the setting is ~300ms"},
			absent: []string{"periodically"},
			not:    []string{"intermediary_idle_timeout", "request_cap"}},
		{name: "C-core idle: INTERNAL_ERROR enter idle is harmless", impl: "C-core", id: "idle_closed", severity: report.SeverityInfo,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.PeerSettings = map[string]int64{cCoreSettings: 3}
				c.GoAways["INTERNAL_ERROR enter idle"] = 2
				c.GoAwayTiming["INTERNAL_ERROR enter idle"] = drainTiming(spreadOf(4*time.Second, 4*time.Second, 2), spreadOf(3980*ms, 4*time.Second, 2), 1, 1, 0, 4*time.Second, 8*time.Second)
			},
			want: []string{"harmless", "grpc.max_connection_idle_ms", "idle for ~4s", "between ~2s and ~4s"}},
		{name: "idle close by an unknown peer names both sides", impl: "unknown", id: "idle_closed", severity: report.SeverityInfo,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.GoAways["NO_ERROR"] = 3
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(time.Second, time.Second, 3), spreadOf(time.Second, 1010*ms, 3), 1, 9, 0, time.Second, 5*time.Second)
			},
			want: []string{"The server (or a proxy in front of it)", "keepalive_timeout", "grpc.max_connection_idle_ms", "MaxConnectionIdle"},
			not:  []string{"intermediary_idle_timeout"}},
		{name: "C-core graceful stop: sentinel then real id, one moment, refused after", impl: "C-core", id: "server_restart", severity: report.SeverityWarn,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.PeerSettings = map[string]int64{cCoreSettings: 4}
				c.GoAways["NO_ERROR"] = 2
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(3*time.Second, 3*time.Second, 2), spreadOf(10*ms, 20*ms, 2), 3, 7, 2, 3*time.Second, 3*time.Second+ms)
				c.ConnectFailures[event.CauseRefused] = 3
			},
			want: []string{"C-core (gRPC C++, Python, Ruby, PHP) server shut down gracefully", "same moment", "sentinel"},
			not:  []string{"request_cap", "max_age_recycling"}},
		{name: "C-core ping enforcement: strikes as seen", impl: "C-core", id: "too_many_pings", severity: report.SeverityError,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.PeerSettings = map[string]int64{cCoreSettings: 4}
				c.GoAways[event.CauseTooManyPings.GoAway()] = 2
				c.Keepalive.PingsBeforeCalm = 3
				c.Keepalive.Time, c.Keepalive.Effective = 10*time.Second, 40*time.Second
			},
			want: []string{"keepalive ping number 3", "grpc.http2.max_ping_strikes", "grpc.http2.min_recv_ping_interval_without_data_ms"},
			not:  []string{}},
		{name: "grpc-go server: no proxy from a GOAWAY without debug data", impl: "grpc-go", id: "",
			set: func(s *report.Summary) {
				s.Connectivity.PeerSettings = map[string]int64{grpcGoSettings: 2}
			}},
		{name: "a reconnect into a frozen process: TCP accepted, no SETTINGS, calls stuck", id: "silent_peer_at_connect", severity: report.SeverityError,
			set: func(s *report.Summary) {
				s.Count, s.OK, s.Errors = 200, 100, 100
				s.Connectivity.SilentOpens = 2
				s.Connectivity.FailureCauses[event.CauseDeadlineWhileReady] = 100
			},
			want: []string{"accepted TCP but never answered in HTTP/2", "100 calls stuck", "not a replaced connection"}},
		{name: "refused counts agree with the dialer's", id: "connection_refused", severity: report.SeverityWarn,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.ConnectFailures[event.CauseRefused] = 1
				c.Dials = &report.DialStats{Attempts: 4, Failed: map[event.Cause]int64{event.CauseRefused: 2}}
			},
			want: []string{"refused (2 attempts)", "refused connection attempts: 2", "4 (2 failed: refused ×2)"}},
		{name: "grpc-js graceful stop: one GOAWAY, no sentinel, refused after", impl: "grpc-js", id: "server_restart", severity: report.SeverityWarn,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.PeerSettings = map[string]int64{grpcJSSettings: 2}
				c.GoAways["NO_ERROR"] = 1
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(3*time.Second, 3*time.Second, 1), spreadOf(10*ms, 10*ms, 1), 3, 3, 0, 3*time.Second, 3*time.Second)
				c.ConnectFailures[event.CauseRefused] = 2
			},
			want: []string{"grpc-js (Node.js) server shut down gracefully", "tryShutdown"},
			not:  []string{"request_cap"}},
		{name: "Caddy's 504 in Caddy's terms", id: "proxy_timeout_504", severity: report.SeverityError,
			set: func(s *report.Summary) {
				s.Count, s.Errors = 4, 4
				s.Connectivity.PeerServers = map[string]int64{"Caddy": 1}
				s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeUnavailable, Count: 4, MinDuration: 973 * ms, MaxDuration: 1020 * ms,
					Message: "unexpected HTTP status code received from server: 504 (Gateway Timeout); malformed header: missing HTTP content-type"}}
			},
			want:   []string{"The intermediary (Caddy)", "a timeout of ~1s", "read_timeout", "response_header_timeout"},
			absent: []string{"nginx", "haproxy", "Envoy"}},
		{name: "Caddy's idle timer in Caddy's terms", id: "intermediary_idle_timeout", severity: report.SeverityInfo,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.PeerServers = map[string]int64{"Caddy": 1}
				c.GoAways["NO_ERROR"] = 8
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(1000*ms, 7000*ms, 8), spreadOf(1000*ms, 1020*ms, 8), 1, 1, 0, 1*time.Second, 8*time.Second)
			},
			want:   []string{"The proxy (Caddy) closes connections idle for ~1s", "servers.timeouts.idle (5m by default)"},
			absent: []string{"nginx", "haproxy", "Envoy"}},
		{name: "nghttpx is not haproxy", id: "", set: func(s *report.Summary) {
			s.Connectivity.PeerSettings = map[string]int64{"MAX_CONCURRENT_STREAMS=100 INITIAL_WINDOW_SIZE=65535 0x9=1 ENABLE_CONNECT_PROTOCOL=1": 2}
		}},
		{name: "healthy C-core", impl: "C-core", id: "", set: func(s *report.Summary) { s.Connectivity.PeerSettings = map[string]int64{cCoreSettings: 2} }},
		{name: "healthy grpc-js", impl: "grpc-js", id: "", set: func(s *report.Summary) { s.Connectivity.PeerSettings = map[string]int64{grpcJSSettings: 2} }},
		{name: "healthy through nginx", id: "", set: func(s *report.Summary) { s.Connectivity.PeerSettings = map[string]int64{nginxSettings: 2} }},
		{name: "healthy through Envoy", id: "", set: func(s *report.Summary) {
			s.Connectivity.PeerServers = map[string]int64{"envoy": 2}
		}},
		{name: "streams cut at C-core's age + grace: reset NO_ERROR and its own word", impl: "C-core", id: "streams_cut_by_age", severity: report.SeverityError,
			set: func(s *report.Summary) {
				s.Kind = event.ServerStream
				s.Count, s.OK, s.Errors = 10, 6, 4
				c := s.Connectivity
				c.PeerSettings = map[string]int64{cCoreSettings: 8}
				c.GoAways["NO_ERROR"] = 8
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(1880*ms, 2180*ms, 8), spreadOf(90*ms, 2300*ms, 8), 1, 5, 8, 2*time.Second, 6700*ms)
				s.ErrorsByMessage = []report.ErrorCount{
					{Code: event.CodeUnavailable, Message: "enter idle", Count: 2},
					{Code: event.CodeInternal, Message: "stream terminated by RST_STREAM with error code: NO_ERROR", Count: 2}}
				c.FailureCauses[event.CauseRSTStream] = 2
				c.FailureCauses[event.CauseOther] = 2
			},
			want: []string{"4 of 10 streams", "grpc.max_connection_age_grace_ms", "enter idle ×2"}},
		{name: "C-core age shorter than a stream: the replacement ages out within a moment, no stop", impl: "C-core", id: "streams_cut_by_age", severity: report.SeverityError,
			// As a loaded CI saw it: 300ms age, 200ms grace, two 2s streams
			// on one connection; its sentinel at 292ms, the replacement
			// dialled at once and its sentinel at 642ms, both streams cut
			// with "enter idle" at 497ms, nothing refused.
			set: func(s *report.Summary) {
				s.Kind = event.Bidi
				s.Count, s.Errors = 2, 2
				c := s.Connectivity
				c.PeerSettings = map[string]int64{cCoreSettings: 2}
				c.GoAways["NO_ERROR"] = 2
				c.GoAwayTiming["NO_ERROR"] = drainTiming(spreadOf(292*ms, 305*ms, 2), spreadOf(89*ms, 327*ms, 2), 3, 3, 2, 292*ms, 642*ms)
				s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeUnavailable, Message: "enter idle", Count: 2}}
				c.FailureCauses[event.CauseOther] = 2
				c.RSTStreams = map[string]int64{"NO_ERROR": 2}
			},
			want: []string{"2 of 2 streams", "grpc.max_connection_age_grace_ms"},
			not:  []string{"server_restart"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := healthySummary()
			tt.set(s)
			fs := Findings(s)
			if tt.impl != "" {
				if p := Identify(s); p == nil || p.Implementation != tt.impl {
					t.Errorf("peer %+v, want implementation %s", p, tt.impl)
				}
			}
			for _, f := range fs {
				for _, id := range tt.not {
					if f.ID == id {
						t.Errorf("finding %s: %s", f.ID, f.Title)
					}
				}
				if tt.id == "" && f.Severity != report.SeverityInfo {
					t.Errorf("%s finding %s on a healthy run: %s", f.Severity, f.ID, f.Title)
				}
			}
			if tt.id == "" {
				return
			}
			var got *report.Finding
			for i := range fs {
				if fs[i].ID == tt.id {
					got = &fs[i]
				}
			}
			if got == nil {
				t.Fatalf("no %s finding in\n%s", tt.id, describe(fs))
			}
			if got.Severity != tt.severity {
				t.Errorf("severity %s, want %s", got.Severity, tt.severity)
			}
			text := got.Title + "\n" + got.Cause + "\n" + got.Fix
			for _, e := range got.Evidence {
				text += "\n" + e.Name + ": " + e.Value
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s lacks %q:\n%s", tt.id, w, text)
				}
			}
			for _, w := range tt.absent {
				if strings.Contains(text, w) {
					t.Errorf("%s speaks of %q:\n%s", tt.id, w, text)
				}
			}
		})
	}
}

func TestIdentify(t *testing.T) {
	tests := []struct {
		name         string
		set          func(c *report.Connectivity)
		impl, proxy  string
		likelyPrefix string
	}{
		{"grpc-go by SETTINGS", func(c *report.Connectivity) { c.PeerSettings = map[string]int64{grpcGoSettings: 1} }, "grpc-go", "", ""},
		{"C-core by 0xfe03", func(c *report.Connectivity) { c.PeerSettings = map[string]int64{cCoreSettings: 1} }, "C-core", "", ""},
		{"grpc-js by empty SETTINGS", func(c *report.Connectivity) { c.PeerSettings = map[string]int64{grpcJSSettings: 1} }, "grpc-js", "", ""},
		{"nginx with version from its server header", func(c *report.Connectivity) {
			c.PeerSettings = map[string]int64{nginxSettings: 1}
			c.PeerServers = map[string]int64{"nginx/1.22.1": 1}
		}, "unknown", "nginx/1.22.1", ""},
		{"nghttpx", func(c *report.Connectivity) {
			c.PeerSettings = map[string]int64{"MAX_CONCURRENT_STREAMS=100 INITIAL_WINDOW_SIZE=65535 0x9=1 ENABLE_CONNECT_PROTOCOL=1": 1}
		}, "unknown", "nghttpx", ""},
		{"Envoy by server header", func(c *report.Connectivity) { c.PeerServers = map[string]int64{"envoy": 1} }, "unknown", "Envoy", ""},
		{"Kestrel", func(c *report.Connectivity) { c.PeerServers = map[string]int64{"Kestrel": 1} }, "grpc-dotnet", "", ""},
		{"max_age alone: grpc-go or grpc-js", func(c *report.Connectivity) { c.GoAways = map[string]int64{event.CauseDrainMaxAge.GoAway(): 1} }, "unknown", "", "grpc-go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := healthySummary()
			tt.set(s.Connectivity)
			p := Identify(s)
			if p == nil || p.Implementation != tt.impl || p.Intermediary != tt.proxy || len(p.Evidence) == 0 {
				t.Fatalf("peer %+v, want %s behind %q with evidence", p, tt.impl, tt.proxy)
			}
			if tt.likelyPrefix != "" && (len(p.Likely) == 0 || p.Likely[0] != tt.likelyPrefix) {
				t.Errorf("likely %v, want %s first", p.Likely, tt.likelyPrefix)
			}
		})
	}
}
