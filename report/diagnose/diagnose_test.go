package diagnose

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// healthySummary is a unary run over two connections with keepalive on that
// went well: connections opened, pings answered, no failures.
func healthySummary() *report.Summary {
	return &report.Summary{
		Kind:  event.Unary,
		Count: 1000, OK: 1000,
		Options: plan.Options{
			Target: plan.Target{Addr: "10.0.0.1:50051", Keepalive: plan.Keepalive{Time: 30 * time.Second, Timeout: 5 * time.Second}},
			Call:   plan.Call{Timeout: time.Second},
		},
		Connections: []report.Connection{
			{Index: 0, Remote: "10.0.0.1:50051", Calls: 500, Transports: 1, Events: []report.Event{}},
			{Index: 1, Remote: "10.0.0.1:50051", Calls: 500, Transports: 1, Events: []report.Event{}},
		},
		Backends: []report.Backend{{Remote: "10.0.0.1:50051", Calls: 1000}},
		Connectivity: &report.Connectivity{
			Connects:        2,
			ConnectFailures: map[event.Cause]int64{},
			Closes:          map[string]int64{report.CloseClient: 2},
			GoAways:         map[string]int64{},
			GoAwayTiming:    map[string]report.GoAwayTiming{},
			RSTStreams:      map[string]int64{},
			FailureCauses:   map[event.Cause]int64{},
			Keepalive: report.KeepaliveStats{Time: 30 * time.Second, Effective: 30 * time.Second, Timeout: 5 * time.Second,
				Pings: 20, Acks: 20, RTTMean: time.Millisecond, RTTMax: 2 * time.Millisecond},
			ReconnectLatency: report.NewHistogram(report.NewHDR()),
			Notes:            []string{},
		},
	}
}

// reconnects gives s a reconnect latency histogram of the durations.
func reconnects(s *report.Summary, ds ...time.Duration) {
	h := report.NewHDR()
	for _, d := range ds {
		recordNS(h, d)
	}
	s.Connectivity.ReconnectLatency = report.NewHistogram(h)
	s.Connectivity.Reconnects = int64(len(ds))
}

// ageTiming is the timing of GOAWAYs at ages (in a Spread as the recorder
// keeps it, but with the exact median).
func ageTiming(first time.Duration, ages ...time.Duration) report.GoAwayTiming {
	var sp report.Spread
	if len(ages) > 0 {
		sorted := slices.Sorted(slices.Values(ages))
		var sum time.Duration
		for _, a := range ages {
			sum += a
		}
		sp = report.Spread{Count: int64(len(ages)), Min: sorted[0], Max: sorted[len(sorted)-1],
			Mean: sum / time.Duration(len(ages)), P50: sorted[(len(sorted)+1)/2-1]}
	}
	return report.GoAwayTiming{FirstAt: first, Age: sp, Idle: sp}
}

// recordNS adds d to h (in range, in tests).
func recordNS(h *hdrhistogram.Histogram, d time.Duration) { _ = h.RecordValue(int64(d)) }

type wantFinding struct {
	id       string
	severity report.Severity
	says     []string // in the title, evidence, cause or fix
}

func TestDiagnose(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name   string
		change func(s *report.Summary)
		want   []wantFinding
	}{
		{"healthy", func(*report.Summary) {}, nil},
		{"healthy with keepalive off", func(s *report.Summary) {
			s.Options.Target.Keepalive = plan.Keepalive{}
			s.Connectivity.Keepalive = report.KeepaliveStats{}
		}, nil},
		{"too_many_pings GOAWAY", func(s *report.Summary) {
			s.Options.Target.Keepalive.Time = 5 * sec
			k := &s.Connectivity.Keepalive
			k.Time, k.Effective = 5*sec, 40*sec
			s.Connectivity.GoAways[event.CauseTooManyPings.GoAway()] = 2
			s.Connectivity.GoAwayTiming[event.CauseTooManyPings.GoAway()] = ageTiming(1500*time.Millisecond, 30*sec, 60*sec)
		}, []wantFinding{{"too_many_pings", report.SeverityError, []string{"×2", "+1.5s", "keepalive time set: 5s",
			"10s (grpc-go's minimum)", "40s (doubled", "permit without stream: no", "pinged every 10s", "6m or more", "for pings every 10s, 5s", "EnforcementPolicy.MinTime", "permitKeepAliveTime", "min_recv_ping_interval_without_data_ms"}}}},
		{"too_many_pings failures only, keepalive off", func(s *report.Summary) {
			s.Options.Target.Keepalive = plan.Keepalive{}
			s.Connectivity.Keepalive = report.KeepaliveStats{}
			s.Connectivity.FailureCauses[event.CauseTooManyPings] = 3
		}, []wantFinding{{"too_many_pings", report.SeverityError, []string{"3 calls failed", "client keepalive: off", "BDP"}}}},
		{"too_many_pings with permit without stream", func(s *report.Summary) {
			s.Connectivity.Keepalive.PermitWithoutStream = true
			s.Connectivity.GoAways[event.CauseTooManyPings.GoAway()] = 1
		}, []wantFinding{{"too_many_pings", report.SeverityError, []string{"permit without stream: yes", "2h in grpc-go", "PermitWithoutStream", "permitKeepAliveWithoutCalls"}}}},
		{"max_age recycling, no failure", func(s *report.Summary) {
			s.Connectivity.GoAways[event.CauseDrainMaxAge.GoAway()] = 9
			s.Connectivity.GoAwayTiming[event.CauseDrainMaxAge.GoAway()] = ageTiming(0, 950*time.Millisecond, sec, sec, 1050*time.Millisecond)
			reconnects(s, 2*time.Millisecond, 3*time.Millisecond)
			s.Connectivity.Retries = &report.RetryStats{Calls: 1000, Attempts: 1004, Transparent: 4}
		}, []wantFinding{{"max_age_recycling", report.SeverityInfo, []string{"every ~1s", "no call failed", "transparent retries: 4",
			"±10%", "900ms to 1.1s", "Nothing to do"}}}},
		{"max_age recycling with unary failures", func(s *report.Summary) {
			s.Connectivity.GoAways[event.CauseDrainMaxAge.GoAway()] = 9
			s.Connectivity.GoAwayTiming[event.CauseDrainMaxAge.GoAway()] = ageTiming(0, sec)
			s.Connectivity.FailureCauses[event.CauseDrainMaxAge] = 2
			s.Connectivity.FailureCauses[event.CauseDrain] = 1 // only max_age drains were seen: counts too
		}, []wantFinding{{"max_age_recycling", report.SeverityWarn, []string{"3 calls failed at the hand-over", "MaxConnectionAgeGrace"}}}},
		{"streams cut by age", func(s *report.Summary) {
			s.Kind = event.Bidi
			s.Count = 100
			s.Connectivity.GoAways[event.CauseDrainMaxAge.GoAway()] = 3
			s.Connectivity.GoAwayTiming[event.CauseDrainMaxAge.GoAway()] = ageTiming(0, 300*time.Millisecond)
			s.Connectivity.FailureCauses[event.CauseDrainMaxAge] = 5
		}, []wantFinding{
			{"streams_cut_by_age", report.SeverityWarn, []string{"5 of 100 streams", "300ms", "reopen them on UNAVAILABLE"}},
			{"max_age_recycling", report.SeverityInfo, []string{"streams cut by age"}},
		}},
		{"most streams cut by age", func(s *report.Summary) {
			s.Kind = event.ServerStream
			s.Count = 20
			s.Connectivity.GoAways[event.CauseDrainMaxAge.GoAway()] = 3
			s.Connectivity.FailureCauses[event.CauseDrainMaxAge] = 10
		}, []wantFinding{
			{"streams_cut_by_age", report.SeverityError, []string{"10 of 20", "50.00%"}},
			{"max_age_recycling", report.SeverityInfo, nil},
		}},
		{"idle connections closed", func(s *report.Summary) {
			s.Connectivity.GoAways[event.CauseDrainMaxIdle.GoAway()] = 4
			s.Connectivity.GoAwayTiming[event.CauseDrainMaxIdle.GoAway()] = ageTiming(2*sec, 300*time.Millisecond, 300*time.Millisecond, 310*time.Millisecond)
			reconnects(s, time.Millisecond)
		}, []wantFinding{{"idle_closed", report.SeverityInfo, []string{"idle for ~300ms", `"max_idle": 4`, "every 300ms", "MaxConnectionIdle"}}}},
		{"server restart", func(s *report.Summary) {
			c := s.Connectivity
			c.GoAways[event.CauseDrainGracefulStop.GoAway()] = 2
			c.ConnectFailures[event.CauseRefused] = 3
			c.Backoff = report.Spread{Count: 3, Min: 100 * time.Millisecond, P50: 200 * time.Millisecond, Mean: 233 * time.Millisecond, Max: 400 * time.Millisecond}
			c.Unavailable = 700 * time.Millisecond
			reconnects(s, 750*time.Millisecond, 760*time.Millisecond)
			s.Options.Target.Backoff = plan.ConnectBackoff{Base: 100 * time.Millisecond, Max: 800 * time.Millisecond, Multiplier: 2}
		}, []wantFinding{
			{"connection_refused", report.SeverityWarn, []string{"refused connection attempts: 3", "no call failed"}},
			{"server_restart", report.SeverityWarn, []string{`"graceful_stop" ×2`, "back after", "time in TRANSIENT_FAILURE: p50 200ms (min 100ms, max 400ms)",
				"outages (connection failures seen): 3", "backoff configured: 100ms first, ×2 each, at most 800ms, ±0%",
				"time unavailable: 700ms", "were refused until", "plus up to one backoff wait", "preStop"}},
		}},
		{"server restart that cost nothing", func(s *report.Summary) {
			s.Connectivity.GoAways[event.CauseDrainGracefulStop.GoAway()] = 1
			s.Errors = 0
			reconnects(s, 2*time.Millisecond)
		}, []wantFinding{
			{"server_restart", report.SeverityInfo, []string{`"graceful_stop" ×1`, "no call failed", "other backends (round_robin)", "Nothing to do"}},
		}},
		{"connection refused with failed calls", func(s *report.Summary) {
			s.Connectivity.ConnectFailures[event.CauseRefused] = 5
			s.Connectivity.FailureCauses[event.CauseRefused] = 40
			s.Connectivity.Backoff = report.Spread{Count: 1, Min: sec, P50: sec, Mean: sec, Max: sec}
		}, []wantFinding{{"connection_refused", report.SeverityError, []string{"40 calls failed", "1s first, ×1.6 each, at most 2m0s, ±20%"}}}},
		{"dead peer found by keepalive", func(s *report.Summary) {
			k := &s.Connectivity.Keepalive
			k.UnansweredCloses, k.UnansweredMax = 1, 5*sec
			s.Connectivity.FailureCauses[event.CauseKeepaliveTimeout] = 12
			reconnects(s, 20*time.Millisecond)
		}, []wantFinding{{"keepalive_dead_peer", report.SeverityError, []string{"within ~35s", "longest wait 5s", "calls failed: keepalive timeout: 12"}}}},
		{"dead peer by TCP user timeout", func(s *report.Summary) {
			s.Connectivity.FailureCauses[event.CauseTCPUserTimeout] = 2
			s.Connectivity.Closes[report.CloseTimedOut] = 1
		}, []wantFinding{{"keepalive_dead_peer", report.SeverityError, []string{"TCP_USER_TIMEOUT", "calls failed: TCP user timeout: 2"}}}},
		{"short keepalive timeout", func(s *report.Summary) {
			k := &s.Connectivity.Keepalive
			k.Timeout, k.UnansweredCloses, k.UnansweredMax = 100*time.Millisecond, 3, 100*time.Millisecond
		}, []wantFinding{{"keepalive_dead_peer", report.SeverityError, []string{"false alarm"}}}},
		{"unanswered ping a little short of the timeout", func(s *report.Summary) {
			k := &s.Connectivity.Keepalive
			k.UnansweredCloses, k.UnansweredMax = 1, 4600*time.Millisecond // grpc-go's timer starts before the tap sees the ping
		}, []wantFinding{{"keepalive_dead_peer", report.SeverityError, []string{"longest wait 4.6s"}}}},
		{"unanswered ping well short of the timeout", func(s *report.Summary) {
			k := &s.Connectivity.Keepalive
			k.UnansweredCloses, k.UnansweredMax = 1, 4400*time.Millisecond
		}, nil},
		{"unanswered ping shorter than the timeout", func(s *report.Summary) {
			k := &s.Connectivity.Keepalive
			k.UnansweredCloses, k.UnansweredMax = 1, 3*time.Millisecond
		}, nil},
		{"silent blackhole, keepalive off", func(s *report.Summary) {
			s.Options.Target.Keepalive = plan.Keepalive{}
			s.Connectivity.Keepalive = report.KeepaliveStats{}
			at := 12300 * time.Millisecond
			s.Connections[1].StalledAt = &at
			s.Connectivity.FailureCauses[event.CauseDeadlineWhileReady] = 250
		}, []wantFinding{{"blackhole_undetected", report.SeverityError, []string{"#1 from +12.3s", "250", "call deadline: 1s",
			"Turn keepalive on", "15 minutes"}}}},
		{"silent blackhole, keepalive on", func(s *report.Summary) {
			at := time.Second
			s.Connections[0].StalledAt = &at
			s.Connectivity.FailureCauses[event.CauseDeadlineWhileReady] = 3
		}, []wantFinding{{"blackhole_undetected", report.SeverityError, []string{"nothing came back from the server",
			"alive but stuck", "client keepalive would tell the two apart", "up to 35s", "Lower --keepalive-time"}}}},
		{"one call on a silent connection is not enough", func(s *report.Summary) {
			at := time.Second
			s.Connections[0].StalledAt = &at
			s.Connectivity.FailureCauses[event.CauseDeadlineWhileReady] = 1
		}, nil},
		{"slow server: deadlines while READY, calls still succeed", func(s *report.Summary) {
			s.Connectivity.FailureCauses[event.CauseDeadlineWhileReady] = 30
		}, nil},
		{"peer closed without GOAWAY", func(s *report.Summary) {
			s.Connectivity.Closes[report.ClosePeerEOF] = 2
			s.Connectivity.Closes[report.ClosePeerReset] = 1
			s.Connectivity.FailureCauses[event.CausePeerClosed] = 7
		}, []wantFinding{{"peer_closed_without_goaway", report.SeverityWarn, []string{"3 times", "7 calls failed", "GracefulStop"}}}},
		{"connection reset failures only", func(s *report.Summary) {
			s.Connectivity.FailureCauses[event.CauseConnectionReset] = 1
		}, []wantFinding{{"peer_closed_without_goaway", report.SeverityWarn, []string{"calls failed: connection reset: 1"}}}},
		{"TLS mismatch", func(s *report.Summary) {
			s.Connectivity.HandshakeFailures = 2
			s.Connectivity.ConnectFailures[event.CauseTLSHandshake] = 2
		}, []wantFinding{{"tls_or_protocol_mismatch", report.SeverityError, []string{"TLS handshakes", "client: TLS", "--cacert"}}}},
		{"not HTTP/2 with plaintext", func(s *report.Summary) {
			s.Options.Target.Plaintext = true
			s.Connectivity.FailureCauses[event.CauseNotHTTP2] = 1000
		}, []wantFinding{{"tls_or_protocol_mismatch", report.SeverityError, []string{"not answer in HTTP/2", "drop --plaintext", "client: plaintext"}}}},
		{"silent peer at connect", func(s *report.Summary) {
			s.Connectivity.ConnectFailures[event.CauseSilentPeerAtConnect] = 4
		}, []wantFinding{{"silent_peer_at_connect", report.SeverityError, []string{"no HTTP/2 server answered", "4"}}}},
		{"pinned to one of several addresses", func(s *report.Summary) {
			s.Options.Target.Addr = "10.0.0.1:50051,10.0.0.2:50051,10.0.0.3:50051"
			s.Options.Target.LBPolicy = "round_robin"
			s.Backends = []report.Backend{{Remote: "10.0.0.1:50051", Calls: 950}, {Remote: "10.0.0.2:50051", Calls: 50}}
		}, []wantFinding{{"pinned_backend", report.SeverityWarn, []string{"95.00% of the calls", "10.0.0.1:50051", "of 3", "round_robin should spread"}}}},
		{"pick_first with several addresses", func(s *report.Summary) {
			s.Options.Target.Targets = []string{"10.0.0.2:50051"}
		}, []wantFinding{{"pinned_backend", report.SeverityWarn, []string{"100.00% of the calls", "load-balancing policy: pick_first", "--lb-policy round_robin"}}}},
		{"round_robin spread evenly", func(s *report.Summary) {
			s.Options.Target.Targets = []string{"10.0.0.2:50051"}
			s.Options.Target.LBPolicy = "round_robin"
			s.Backends = []report.Backend{{Remote: "10.0.0.1:50051", Calls: 500}, {Remote: "10.0.0.2:50051", Calls: 500}}
		}, nil},
		{"retries amplifying load", func(s *report.Summary) {
			s.Connectivity.Retries = &report.RetryStats{Calls: 1000, Attempts: 1800, Retries: 790, Transparent: 10}
		}, []wantFinding{{"retry_amplification", report.SeverityWarn, []string{"by 1.80", "800 retries for 1000 calls", "1800 (1.80 per call)", "retryThrottling"}}}},
		{"retries exhausted", func(s *report.Summary) {
			s.Connectivity.FailureCauses[event.CauseRetriesExhausted] = 6
		}, []wantFinding{{"retry_amplification", report.SeverityWarn, []string{"6 calls failed after exhausting", "did not hide"}}}},
		{"a few retries", func(s *report.Summary) {
			s.Connectivity.Retries = &report.RetryStats{Calls: 1000, Attempts: 1100, Retries: 100}
		}, nil},
		{"settings grpc-go changed", func(s *report.Summary) {
			s.Connectivity.Notes = []string{"--keepalive-time 5s is below grpc-go's minimum: it pings every 10s", "another note"}
		}, []wantFinding{
			{"setting_changed", report.SeverityInfo, []string{"--keepalive-time 5s"}},
			{"setting_changed", report.SeverityInfo, []string{"another note"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := healthySummary()
			tt.change(s)
			before := cloneSummary(t, s)
			got := Findings(s)
			if !reflect.DeepEqual(cloneSummary(t, s), before) {
				t.Errorf("Diagnose changed its Summary")
			}
			ids := func(fs []report.Finding) []string {
				out := []string{}
				for _, f := range fs {
					out = append(out, f.ID+"/"+string(f.Severity))
				}
				return out
			}
			want := []string{}
			for _, w := range tt.want {
				want = append(want, w.id+"/"+string(w.severity))
			}
			if !slices.Equal(ids(got), want) {
				t.Fatalf("findings %v, want %v\n%s", ids(got), want, describe(got))
			}
			for i, w := range tt.want {
				text := describe(got[i : i+1])
				for _, say := range w.says {
					if !strings.Contains(text, say) {
						t.Errorf("%s does not say %q:\n%s", w.id, say, text)
					}
				}
				if f := got[i]; f.Title == "" || f.Cause == "" || f.Fix == "" || f.Evidence == nil {
					t.Errorf("%s is incomplete: %+v", f.ID, f)
				}
			}
		})
	}
}

// describe writes findings as text, for messages and substring checks.
func describe(fs []report.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Title + "\n")
		for _, e := range f.Evidence {
			b.WriteString("  " + e.Name + ": " + e.Value + "\n")
		}
		b.WriteString("  cause: " + f.Cause + "\n  fix: " + f.Fix + "\n")
	}
	return b.String()
}

// cloneSummary deep-copies s through its JSON form (enough to detect a
// change).
func cloneSummary(t *testing.T, s *report.Summary) string {
	t.Helper()
	var b bytes.Buffer
	c := *s
	if c.Latency == nil {
		c.Latency, c.ServiceTime = report.NewHistogram(report.NewHDR()), report.NewHistogram(report.NewHDR())
	}
	if err := report.WriteJSON(&b, &c); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Findings come most severe first, whatever the rule order.
func TestDiagnoseOrdersBySeverity(t *testing.T) {
	s := healthySummary()
	s.Connectivity.Notes = []string{"a note"}
	s.Connectivity.GoAways[event.CauseDrainMaxAge.GoAway()] = 1
	s.Connectivity.Closes[report.ClosePeerEOF] = 1
	s.Connectivity.GoAways[event.CauseTooManyPings.GoAway()] = 1
	var sev []report.Severity
	for _, f := range Findings(s) {
		sev = append(sev, f.Severity)
	}
	want := []report.Severity{report.SeverityError, report.SeverityWarn, report.SeverityInfo, report.SeverityInfo}
	if !slices.Equal(sev, want) {
		t.Errorf("severities %v, want %v", sev, want)
	}
}

func TestDiagnoseWithoutConnectivity(t *testing.T) {
	if got := Findings(nil); got == nil || len(got) != 0 {
		t.Errorf("Findings(nil) = %v, want empty", got)
	}
	s := healthySummary()
	s.Connectivity = nil // a report older than connection events
	if got := Findings(s); len(got) != 0 {
		t.Errorf("findings %v for a report without connectivity", got)
	}
}

// Diagnose reads the same findings from a report read back from JSON.
func TestDiagnoseAfterReadJSON(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("..", "testdata", "unary.json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := report.ReadJSON(bytes.NewReader(golden))
	if err != nil {
		t.Fatal(err)
	}
	if got := Findings(s); !reflect.DeepEqual(got, s.Findings) {
		t.Errorf("findings of the golden report differ:\n%s\n---\n%s", describe(got), describe(s.Findings))
	}
	var b bytes.Buffer
	if err := report.WriteJSON(&b, s); err != nil {
		t.Fatal(err)
	}
	read, err := report.ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got := Findings(read); !reflect.DeepEqual(got, s.Findings) {
		t.Errorf("findings of the read report differ:\n%s\n---\n%s", describe(got), describe(s.Findings))
	}
	if len(s.Findings) == 0 {
		t.Errorf("the synthetic run has no findings")
	}
}

// A restart that refused nothing does not talk of refusals or backoff.
func TestServerRestartCause(t *testing.T) {
	s := healthySummary()
	s.Connectivity.GoAways[event.CauseDrainGracefulStop.GoAway()] = 1
	for _, f := range Findings(s) {
		if f.ID != "server_restart" {
			continue
		}
		if f.Severity != report.SeverityInfo || strings.Contains(f.Cause, "refused until") || strings.Contains(f.Cause, "backoff") {
			t.Errorf("server_restart %s: %s", f.Severity, f.Cause)
		}
		return
	}
	t.Error("no server_restart finding")
}
