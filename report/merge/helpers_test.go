package merge

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// TestMain checks that no test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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
