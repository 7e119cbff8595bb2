package html

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

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
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", name, got, want)
	}
}
