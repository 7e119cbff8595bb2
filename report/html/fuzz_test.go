package html

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
)

// FuzzRenderHTML: every report ReadJSON accepts renders as a page whose
// text holds no raw markup from the report.
func FuzzRenderHTML(f *testing.F) {
	for _, name := range []string{"unary.json.golden", "bidi.json.golden"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := report.ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := RenderHTML(&out, s); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "<script>alert") {
			t.Fatal("the report's text reached the page as markup")
		}
	})
}
