package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	goldenfile "github.com/grpcpulse/grpcpulse/internal/golden"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// TestMain checks that End stops every ticker goroutine Begin started.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syntheticSummary is the report of a synthetic run of kind (recorded and
// diagnosed by report/record's tests, which write the golden JSON), read
// back as report show reads it.
func syntheticSummary(t *testing.T, kind event.Kind) *Summary {
	t.Helper()
	s, err := ReadJSON(bytes.NewReader(readGolden(t, string(kind)+".json.golden")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := readGoldenFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readGoldenFile(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }

// record adds d to h clamped into its range, as the Recorder does.
func record(h *hdrhistogram.Histogram, d time.Duration) {
	_ = h.RecordValue(min(max(int64(d), 0), HighestNS))
}

// jsonOf is s as WriteJSON writes it.
func reportJSON(t *testing.T, s *Summary) string {
	t.Helper()
	var b strings.Builder
	if err := WriteJSON(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// roundTrip writes s and reads it back.
func jsonRoundTrip(t *testing.T, s *Summary) *Summary {
	t.Helper()
	back, err := ReadJSON(strings.NewReader(reportJSON(t, s)))
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)
