package text

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	goldenfile "github.com/grpcpulse/grpcpulse/internal/golden"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// TestMain checks that no test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syntheticSummary is the report of report/record's synthetic run of kind
// (report/testdata/KIND.json.golden), read back as `report show` reads it.
func syntheticSummary(t *testing.T, kind event.Kind) *report.Summary {
	t.Helper()
	b, err := readGoldenFile(string(kind) + ".json.golden")
	if err != nil {
		t.Fatal(err)
	}
	s, err := report.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readGoldenFile reads one of report's golden JSON reports.
func readGoldenFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("..", "testdata", name))
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestRenderersReturnWriteErrors(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	if err := Render(failingWriter{}, s, PlainStyles(), 80); !errors.Is(err, errDiskFull) {
		t.Errorf("Render error = %v, want %v", err, errDiskFull)
	}
	if err := RenderMarkdown(failingWriter{}, s); !errors.Is(err, errDiskFull) {
		t.Errorf("RenderMarkdown error = %v, want %v", err, errDiskFull)
	}
}

// The zero Summary renders too (a report of nothing at all).
func TestZeroSummaryRenders(t *testing.T) {
	if err := RenderMarkdown(io.Discard, &report.Summary{}); err != nil {
		t.Fatal(err)
	}
}
