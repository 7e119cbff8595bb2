package html

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	goldenfile "github.com/grpcpulse/grpcpulse/internal/golden"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// syntheticSummary is the report of report/record's synthetic run of kind
// (report/testdata/KIND.json.golden), read back as `report show` reads it.
func syntheticSummary(t *testing.T, kind event.Kind) *report.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", string(kind)+".json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := report.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}
