package report

import (
	"errors"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

func TestReadJSONRefuses(t *testing.T) {
	report := string(readGolden(t, "unary.json.golden"))
	tests := []struct {
		name    string
		in      string
		wantErr error
		wantMsg string
	}{
		{"newer schema", strings.Replace(report, Schema, "grpcpulse.report/v2", 1), ErrSchema, "newer than this grpcpulse reads"},
		{"other schema", `{"schema": "k6.summary/v1", "count": 3}`, ErrSchema, `"k6.summary/v1"`},
		{"no schema", `{"count": 3}`, ErrNotReport, "no \"schema\""},
		{"truncated", report[:len(report)/2], ErrNotReport, "truncated"},
		{"not JSON", "Requests      [total, rate]  1000, 50.05\n", ErrNotReport, "not JSON"},
		{"empty", "", ErrNotReport, "not JSON"},
		{"JSON array", `[{"schema": "grpcpulse.report/v1"}]`, ErrNotReport, ""},
		{"bad histogram", strings.Replace(report, `"hdr": "`, `"hdr": "!!`, 1), nil, "decoding histogram"},
		{"bad code", strings.Replace(report, `"UNAVAILABLE":`, `"NOPE":`, 1), nil, `"NOPE" is not a status code name`},
		{"schema alone", `{"schema": "grpcpulse.report/v1"}`, ErrNotReport, `no "method", no "started_at", no "latency" histogram`},
		{"latency without hdr", `{"schema": "grpcpulse.report/v1", "method": "m", "started_at": "2024-01-02T03:04:05Z", "latency": {"count": 0}}`,
			ErrNotReport, `no "latency" histogram (with its "hdr")`},
		{"no method", strings.Replace(report, `"method":`, `"methods":`, 1), ErrNotReport, `no "method"`},
		{"timeline past the end", strings.Replace(report, `"second": 1,`, `"second": 3000000000,`, 1), ErrCorrupt, "timeline[1].second is 3000000000"},
		{"timeline before the start", strings.Replace(report, `"second": 1,`, `"second": -1,`, 1), ErrCorrupt, "timeline[1].second is -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadJSON(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ReadJSON accepted it: %+v", s)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestRenderersReturnWriteErrors(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	if err := WriteJSON(failingWriter{}, s); !errors.Is(err, errDiskFull) {
		t.Errorf("WriteJSON error = %v, want %v", err, errDiskFull)
	}
}
