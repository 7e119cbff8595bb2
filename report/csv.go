package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// csvTimeLayout is RFC 3339 with milliseconds, fixed width so the column
// sorts as text and spreadsheets read it.
const csvTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// RenderCSV writes the per-second timeline of s as CSV, one row per point
// under the header second,time,count,errors,rps,p50_ms,p99_ms,max_ms: time
// is the start of the second (started_at plus second, UTC), rps the
// point's calls per second of its length (the last point may be shorter
// than a second), and the latencies are in milliseconds (0 for a second
// without calls).
func RenderCSV(w io.Writer, s *Summary) error {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write([]string{"second", "time", "count", "errors", "rps", "p50_ms", "p99_ms", "max_ms"})
	for _, p := range s.Timeline {
		_ = cw.Write([]string{
			strconv.Itoa(p.Second),
			s.StartedAt.Add(time.Duration(p.Second) * time.Second).UTC().Format(csvTimeLayout),
			strconv.FormatInt(p.Count, 10),
			strconv.FormatInt(p.Errors, 10),
			strconv.FormatFloat(PointRate(s, p), 'f', 2, 64),
			msText(p.P50),
			msText(p.P99),
			msText(p.Max),
		})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing csv report: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing csv report: %w", err)
	}
	return nil
}

// msText writes d in milliseconds with microsecond precision: "3.250".
func msText(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}

// PointLength is how much of the run timeline point p covers: a second,
// or, for the last point when the run ended within its second, its Width.
// A point without Width (a report written before it existed) is taken to
// cover what remains of the run after its second, up to a second. Either
// way at least a microsecond, so a rate over it stays finite.
func PointLength(s *Summary, p Point) time.Duration {
	if p.Width > 0 {
		return max(min(p.Width, time.Second), time.Microsecond)
	}
	rest := s.Duration - time.Duration(p.Second)*time.Second
	return min(max(rest, time.Microsecond), time.Second)
}

// PointRate is the calls per second that ended in point p.
func PointRate(s *Summary, p Point) float64 {
	return float64(p.Count) / PointLength(s, p).Seconds()
}
