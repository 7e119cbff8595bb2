package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

const (
	nginxSettings   = "MAX_CONCURRENT_STREAMS=128 INITIAL_WINDOW_SIZE=65536 MAX_FRAME_SIZE=16777215"
	haproxySettings = "ENABLE_CONNECT_PROTOCOL=1 MAX_CONCURRENT_STREAMS=100"
	nginx504        = `unexpected HTTP status code received from server: 504 (Gateway Timeout); transport: received unexpected content-type "text/html" data: "504 Gateway Time-out 504 Gateway Time-out nginx/1.22.1"`
	haproxy504      = `unexpected HTTP status code received from server: 504 (Gateway Timeout); transport: received unexpected content-type "text/html" data: "504 Gateway Time-out The server didn't respond in time."`
)

func spreadOf(lo, hi time.Duration, n int64) *report.Spread {
	return &report.Spread{Count: n, Min: lo, Max: hi, Mean: (lo + hi) / 2, P50: (lo + hi) / 2}
}

func TestIntermediaryRules(t *testing.T) {
	tests := []struct {
		name     string
		set      func(s *report.Summary)
		id       string // "" means: no finding of these rules
		severity report.Severity
		want     []string // in title, cause or fix
	}{
		{name: "request cap, nothing failed", id: "request_cap", severity: report.SeverityInfo,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.GoAways["NO_ERROR"] = 5
				c.GoAwayTiming["NO_ERROR"] = report.GoAwayTiming{Silence: spreadOf(0, time.Millisecond, 5), LastStreamMin: 199, LastStreamMax: 199}
				c.PeerSettings = map[string]int64{nginxSettings: 6}
			},
			want: []string{"after 100 requests", "keepalive_requests", "max_requests_per_connection", "(nginx)", "no call failed"}},
		{name: "request cap with failures", id: "request_cap", severity: report.SeverityWarn,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.GoAways["NO_ERROR"] = 5
				c.GoAwayTiming["NO_ERROR"] = report.GoAwayTiming{Silence: spreadOf(0, time.Millisecond, 5), LastStreamMin: 5, LastStreamMax: 5}
				c.FailureCauses[event.CauseDrain] = 3
				s.Errors, s.OK = 3, 997
			},
			want: []string{"after 3 requests", "3 calls failed", "retry"}},
		{name: "varying last stream is no cap", set: func(s *report.Summary) {
			c := s.Connectivity
			c.GoAways["NO_ERROR"] = 5
			c.GoAwayTiming["NO_ERROR"] = report.GoAwayTiming{Silence: spreadOf(0, time.Millisecond, 5), LastStreamMin: 5, LastStreamMax: 41}
		}},
		{name: "nginx idle timeout", id: "intermediary_idle_timeout", severity: report.SeverityInfo,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.GoAways["NO_ERROR"] = 3
				c.GoAwayTiming["NO_ERROR"] = report.GoAwayTiming{Silence: spreadOf(1000*time.Millisecond, 1010*time.Millisecond, 3), LastStreamMin: 1, LastStreamMax: 9}
				c.PeerSettings = map[string]int64{nginxSettings: 3}
			},
			want: []string{"idle for ~1s", "keepalive_timeout", "keepalive pings do not help", "(nginx)"}},
		{name: "tcp idle below keepalive floor, calls failed", id: "intermediary_idle_timeout", severity: report.SeverityError,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.Closes[report.ClosePeerEOF] = 4
				c.CloseSilence = map[string]report.Spread{report.ClosePeerEOF: *spreadOf(3*time.Second, 3020*time.Millisecond, 4)}
				c.FailureCauses[event.CausePeerClosed] = 4
				s.Count, s.OK, s.Errors = 8, 4, 4
			},
			want: []string{"silent for ~3s", "timeout tunnel", "cannot beat", "heartbeat"}},
		{name: "tcp idle above keepalive floor", id: "intermediary_idle_timeout", severity: report.SeverityInfo,
			set: func(s *report.Summary) {
				c := s.Connectivity
				c.Closes[report.ClosePeerEOF] = 2
				c.CloseSilence = map[string]report.Spread{report.ClosePeerEOF: *spreadOf(350*time.Second, 350*time.Second, 2)}
			},
			want: []string{"--keepalive-time 2m55s", "--keepalive-permit-without-stream", "PermitWithoutStream"}},
		{name: "scattered closes are no timer", set: func(s *report.Summary) {
			c := s.Connectivity
			c.Closes[report.ClosePeerEOF] = 2
			c.CloseSilence = map[string]report.Spread{report.ClosePeerEOF: *spreadOf(time.Second, 9*time.Second, 2)}
		}},
		{name: "nginx 504 at a constant 2s", id: "proxy_timeout_504", severity: report.SeverityError,
			set: func(s *report.Summary) {
				s.Count, s.OK, s.Errors = 10, 0, 10
				s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeUnavailable, Message: nginx504, Count: 10, MinDuration: 2001 * time.Millisecond, MaxDuration: 2008 * time.Millisecond}}
				s.Connectivity.FailureCauses[event.CauseHTTP504] = 10
			},
			want: []string{"(nginx/1.22.1)", "timeout of ~2s", "grpc_read_timeout", "no call got through"}},
		{name: "haproxy 504", id: "proxy_timeout_504", severity: report.SeverityWarn,
			set: func(s *report.Summary) {
				s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeUnavailable, Message: haproxy504, Count: 5, MinDuration: time.Second, MaxDuration: time.Second + 5*time.Millisecond}}
				s.Errors, s.OK = 5, 995
			},
			want: []string{"(haproxy)", "timeout server", "~1s"}},
		{name: "nginx stream reset", id: "stream_reset_internal", severity: report.SeverityError,
			set: func(s *report.Summary) {
				s.Kind = event.Bidi
				s.Count, s.OK, s.Errors = 2, 0, 2
				s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeInternal, Message: "stream terminated by RST_STREAM with error code: INTERNAL_ERROR", Count: 2, MinDuration: 2 * time.Second, MaxDuration: 2 * time.Second}}
			},
			want: []string{"RST_STREAM INTERNAL_ERROR", "grpc_read_timeout", "heartbeat"}},
		{name: "haproxy stream cut", id: "stream_cut_no_trailers", severity: report.SeverityError,
			set: func(s *report.Summary) {
				s.Count, s.OK, s.Errors = 2, 0, 2
				s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeInternal, Message: "server closed the stream without sending trailers", Count: 2}}
				s.Connectivity.PeerSettings = map[string]int64{haproxySettings: 1}
			},
			want: []string{"haproxy (mode http)", "timeout tunnel"}},
		{name: "the server's RST_STREAM CANCEL at the client's deadline is no intermediary", set: func(s *report.Summary) {
			s.Count, s.OK, s.Errors = 10, 0, 10
			s.Options.Call.Timeout = 20 * time.Millisecond
			s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeCanceled, Message: "stream terminated by RST_STREAM with error code: CANCEL",
				Count: 10, MinDuration: 20 * time.Millisecond, MaxDuration: 23 * time.Millisecond}}
			s.Connectivity.FailureCauses[event.CauseRSTStreamCancel] = 10
		}},
		{name: "haproxy's CANCEL at the client's deadline is still its cut", id: "stream_cut_no_trailers", severity: report.SeverityError,
			set: func(s *report.Summary) {
				s.Count, s.OK, s.Errors = 10, 0, 10
				s.Options.Call.Timeout = 20 * time.Millisecond
				s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeCanceled, Message: "stream terminated by RST_STREAM with error code: CANCEL",
					Count: 10, MinDuration: 20 * time.Millisecond, MaxDuration: 23 * time.Millisecond}}
				s.Connectivity.FailureCauses[event.CauseRSTStreamCancel] = 10
				s.Connectivity.PeerSettings = map[string]int64{haproxySettings: 1}
			},
			want: []string{"haproxy"}},
		{name: "a proxy's HTML inside a stream: the length spells !DOC", id: "proxy_text_in_stream", severity: report.SeverityError,
			set: func(s *report.Summary) {
				s.Kind = event.ServerStream
				s.Count, s.OK, s.Errors = 4, 0, 4
				s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeResourceExhausted, Message: "grpc: received message larger than max (N vs. N)",
					Sample: "grpc: received message larger than max (558124867 vs. 4194304)", Count: 4}}
			},
			want: []string{`"!DOC"`, "558124867", "HTML error page", "grpc_read_timeout"}},
		{name: "a real large message is no proxy text", set: func(s *report.Summary) {
			s.Count, s.OK, s.Errors = 4, 0, 4
			s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeResourceExhausted, Message: "grpc: received message larger than max (5242880 vs. 4194304)", Count: 4}}
		}},
		{name: "Envoy 503 after the same 2s: an upstream timeout, named by its server header", id: "proxy_unavailable_503", severity: report.SeverityError,
			set: func(s *report.Summary) {
				s.Count, s.OK, s.Errors = 10, 0, 10
				s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeUnavailable, Count: 10, MinDuration: 2000 * time.Millisecond, MaxDuration: 2010 * time.Millisecond,
					Message: `unexpected HTTP status code received from server: 503 (Service Unavailable); transport: received unexpected content-type "text/plain"`}}
				s.Connectivity.FailureCauses[event.CauseHTTP503] = 10
				s.Connectivity.PeerServers = map[string]int64{"envoy HTTP 503": 3}
			},
			want: []string{"(Envoy)", "not a missing backend", "upstream timeout", "connect_timeout", "~2s"}},
		{name: "AWS ALB 502 named by its server header", id: "proxy_bad_gateway_502", severity: report.SeverityError,
			set: func(s *report.Summary) {
				s.Count, s.OK, s.Errors = 10, 0, 10
				s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeUnavailable, Count: 10,
					Message: `unexpected HTTP status code received from server: 502 (Bad Gateway); transport: received unexpected content-type "text/html"`}}
				s.Connectivity.PeerServers = map[string]int64{"awselb/2.0 HTTP 502": 3}
			},
			want: []string{"(AWS ALB)"}},
		{name: "Envoy's body names it", id: "proxy_unavailable_503", severity: report.SeverityError,
			set: func(s *report.Summary) {
				s.Count, s.OK, s.Errors = 10, 0, 10
				s.ErrorsByMessage = []report.ErrorCount{{Code: event.CodeUnavailable, Count: 10,
					Message: `unexpected HTTP status code received from server: 503 (Service Unavailable); transport: received unexpected content-type "text/plain" data: "upstream connect error or disconnect/reset before headers. reset reason: connection failure"`}}
			},
			want: []string{"(Envoy)", "no healthy backend"}},
		{name: "healthy", set: func(*report.Summary) {}},
	}
	ids := map[string]bool{"request_cap": true, "intermediary_idle_timeout": true, "proxy_timeout_504": true,
		"proxy_bad_gateway_502": true, "proxy_unavailable_503": true, "proxy_http_status": true,
		"stream_reset_internal": true, "stream_cut_no_trailers": true, "proxy_text_in_stream": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := healthySummary()
			tt.set(s)
			var got []report.Finding
			for _, f := range Findings(s) {
				if f.ID == "peer_closed_without_goaway" && tt.id == "intermediary_idle_timeout" {
					t.Errorf("a generic %s beside the idle timer's finding", f.ID)
				}
				if ids[f.ID] {
					got = append(got, f)
				}
			}
			if tt.id == "" {
				if len(got) != 0 {
					t.Fatalf("findings %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].ID != tt.id {
				t.Fatalf("findings %+v, want one %s", got, tt.id)
			}
			f := got[0]
			if f.Severity != tt.severity {
				t.Errorf("severity %s, want %s", f.Severity, tt.severity)
			}
			text := f.Title + "\n" + f.Cause + "\n" + f.Fix
			for _, e := range f.Evidence {
				text += "\n" + e.Name + ": " + e.Value
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("finding lacks %q:\n%s", w, text)
				}
			}
		})
	}
}
