package report

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/runner"
)

func TestWriteJSONGolden(t *testing.T) {
	for _, kind := range []runner.Kind{runner.Unary, runner.Bidi} {
		t.Run(string(kind), func(t *testing.T) {
			r, meta := syntheticRun(kind)
			var b bytes.Buffer
			if err := WriteJSON(&b, Summarize(r, meta)); err != nil {
				t.Fatal(err)
			}
			golden(t, string(kind)+".json.golden", b.Bytes())
		})
	}
}

func TestSummaryOfSyntheticRun(t *testing.T) {
	r, meta := syntheticRun(runner.Unary)
	s := Summarize(r, meta)
	// Calls 22, 45, ... (i%23 == 22) are UNAVAILABLE: 8 of 200; 60, 121, 182
	// DEADLINE_EXCEEDED; 99 code 42.
	if s.Count != 200 || s.Errors != 12 || s.OK != 188 {
		t.Errorf("count %d ok %d errors %d, want 200, 188, 12", s.Count, s.OK, s.Errors)
	}
	if s.RPS != 80 {
		t.Errorf("rps = %v, want 200 calls / 2.5 s = 80", s.RPS)
	}
	if s.LateStarts != 4 {
		t.Errorf("late starts = %d, want 4", s.LateStarts)
	}
	if got := s.Options.Metadata.Headers; got[0] != "authorization: REDACTED" || got[1] != "x-api-key: REDACTED" || got[2] != "x-tenant: blue" {
		t.Errorf("headers not redacted: %q", got)
	}
	if meta.Options.Metadata.Headers[0] != "authorization: Bearer s3cr3t" {
		t.Errorf("Summarize changed the caller's options")
	}
	if len(s.ErrorsByMessage) != 3 || s.ErrorsByMessage[0].Count != 8 ||
		!strings.Contains(s.ErrorsByMessage[0].Message, "dial tcp ADDR: connect: connection refused") {
		t.Errorf("errors by message = %+v", s.ErrorsByMessage)
	}
	if len(s.Connections) != 2 || s.Connections[0].Remote != "10.0.0.1:50051" || s.Connections[0].Calls+s.Connections[1].Calls != 200 {
		t.Errorf("connections = %+v", s.Connections)
	}
	if len(s.Series) != 0 {
		t.Errorf("unary has series %v", s.Series)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, kind := range []runner.Kind{runner.Unary, runner.Bidi} {
		t.Run(string(kind), func(t *testing.T) {
			r, meta := syntheticRun(kind)
			want := Summarize(r, meta)
			var b bytes.Buffer
			if err := WriteJSON(&b, want); err != nil {
				t.Fatal(err)
			}
			got, err := ReadJSON(bytes.NewReader(b.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			// Histograms: exactly the same counts, and the same figures.
			hists := func(s *Summary) map[string]*Histogram {
				m := map[string]*Histogram{"latency": s.Latency, "service_time": s.ServiceTime,
					"connectivity.reconnect_latency": s.Connectivity.ReconnectLatency}
				for k, v := range s.Series {
					m["series."+k] = v
				}
				return m
			}
			gotH, wantH := hists(got), hists(want)
			if len(gotH) != len(wantH) {
				t.Fatalf("read %d histograms, wrote %d", len(gotH), len(wantH))
			}
			for name, w := range wantH {
				g := gotH[name]
				if g == nil || !g.HDR().Equals(w.HDR()) {
					t.Errorf("histogram %s did not round-trip", name)
					continue
				}
				if g.Percentile(99.99) != w.Percentile(99.99) {
					t.Errorf("%s p99.99 = %v, want %v", name, g.Percentile(99.99), w.Percentile(99.99))
				}
				gf, wf := *g, *w
				gf.hdr, wf.hdr = nil, nil
				if gf != wf {
					t.Errorf("%s figures = %+v, want %+v", name, gf, wf)
				}
			}
			// Everything else: equal as data.
			strip := func(s *Summary) Summary {
				c := *s
				c.Latency, c.ServiceTime, c.Series = nil, nil, nil
				cv := *s.Connectivity
				cv.ReconnectLatency = nil
				c.Connectivity = &cv
				return c
			}
			if g, w := strip(got), strip(want); !reflect.DeepEqual(g, w) {
				t.Errorf("summary did not round-trip:\n got %+v\nwant %+v", g, w)
			}
			// And the report reads back to the same bytes.
			var again bytes.Buffer
			if err := WriteJSON(&again, got); err != nil {
				t.Fatal(err)
			}
			if again.String() != b.String() {
				t.Errorf("rewritten report differs from the original")
			}
		})
	}
}

func TestReadJSONRefuses(t *testing.T) {
	r, meta := syntheticRun(runner.Unary)
	var b bytes.Buffer
	if err := WriteJSON(&b, Summarize(r, meta)); err != nil {
		t.Fatal(err)
	}
	report := b.String()
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
		{"timeline past the end", strings.Replace(report, `"second": 1,`, `"second": 3000000000,`, 1), nil, "point at second 3000000000, outside its duration"},
		{"timeline before the start", strings.Replace(report, `"second": 1,`, `"second": -1,`, 1), nil, "point at second -1"},
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
	r, meta := syntheticRun(runner.Unary)
	s := Summarize(r, meta)
	if err := WriteJSON(failingWriter{}, s); !errors.Is(err, errDiskFull) {
		t.Errorf("WriteJSON error = %v, want %v", err, errDiskFull)
	}
	if err := RenderText(failingWriter{}, s, PlainStyles(), 80); !errors.Is(err, errDiskFull) {
		t.Errorf("RenderText error = %v, want %v", err, errDiskFull)
	}
}
