package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

func TestRenderCSVGolden(t *testing.T) {
	for _, kind := range []event.Kind{event.Unary, event.Bidi} {
		t.Run(string(kind), func(t *testing.T) {
			s := syntheticSummary(t, kind)
			var b bytes.Buffer
			if err := RenderCSV(&b, s); err != nil {
				t.Fatal(err)
			}
			golden(t, string(kind)+".csv.golden", b.Bytes())
			rows, err := csv.NewReader(&b).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(s.Timeline)+1 {
				t.Fatalf("%d rows for %d points", len(rows), len(s.Timeline))
			}
			for i, p := range s.Timeline {
				at, err := time.Parse(time.RFC3339, rows[i+1][1])
				if err != nil {
					t.Fatalf("row %d: %v", i+1, err)
				}
				if want := s.StartedAt.Add(time.Duration(p.Second) * time.Second).Truncate(time.Millisecond); !at.Equal(want) {
					t.Errorf("row %d: time %v, want %v", i+1, at, want)
				}
			}
		})
	}
}

func TestRenderCSVPartialLastPoint(t *testing.T) {
	s := &Summary{
		StartedAt: Timestamp{t0},
		Duration:  1500 * time.Millisecond,
		Timeline: []Point{
			{Second: 0, Count: 10, P50: 1500 * time.Microsecond, P99: 3 * time.Millisecond, Max: 3 * time.Millisecond},
			{Second: 1, Count: 5, Errors: 5},
		},
	}
	var b bytes.Buffer
	if err := RenderCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	want := "second,time,count,errors,rps,p50_ms,p99_ms,max_ms\n" +
		"0,2025-03-04T05:06:07.123Z,10,0,10.00,1.500,3.000,3.000\n" +
		"1,2025-03-04T05:06:08.123Z,5,5,10.00,0.000,0.000,0.000\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	var empty bytes.Buffer
	if err := RenderCSV(&empty, &Summary{}); err != nil || strings.Count(empty.String(), "\n") != 1 {
		t.Errorf("empty timeline: %q, %v", empty.String(), err)
	}
}

// The last point's rate is over its width_ns; full and zero points are
// over a second (a stalled second is 0, not skipped).
func TestRenderCSVWidth(t *testing.T) {
	s := &Summary{
		StartedAt: Timestamp{t0},
		Duration:  2250 * time.Millisecond,
		Timeline:  []Point{{Second: 0, Count: 100}, {Second: 1}, {Second: 2, Count: 25, Width: 250 * time.Millisecond}},
	}
	var b bytes.Buffer
	if err := RenderCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	want := "second,time,count,errors,rps,p50_ms,p99_ms,max_ms\n" +
		"0,2025-03-04T05:06:07.123Z,100,0,100.00,0.000,0.000,0.000\n" +
		"1,2025-03-04T05:06:08.123Z,0,0,0.00,0.000,0.000,0.000\n" +
		"2,2025-03-04T05:06:09.123Z,25,0,100.00,0.000,0.000,0.000\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
