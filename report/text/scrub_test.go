package text

import (
	"bytes"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// A crafted report's server text cannot reach a terminal or a Markdown
// page as control characters: ReadJSON escapes them.
func TestReadJSONEscapesControlCharacters(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	const evil = "boom\x1b[2J\x1b]0;pwned\x07\rhidden\u009b"
	s.ErrorsByMessage = []report.ErrorCount{{Message: evil, Count: 1}}
	s.Backends = []report.Backend{{Remote: evil, Calls: 1}}
	s.Findings = []report.Finding{{ID: "x", Severity: "warning", Title: evil, Cause: evil, Fix: evil, Evidence: []report.Evidence{{Name: evil, Value: evil}}}}
	s.Connections = []report.Connection{{Index: 0, Remote: evil, GoAways: map[string]int64{"NO_ERROR " + evil: 1},
		Events: []report.Event{{Event: event.Event{Kind: "goaway", Debug: evil, Err: evil}}}}}
	var js bytes.Buffer
	if err := report.WriteJSON(&js, s); err != nil {
		t.Fatal(err)
	}
	back, err := report.ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Render(&out, back, PlainStyles(), 120); err != nil {
		t.Fatal(err)
	}
	if err := RenderMarkdown(&out, back); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\x1b", "\x07", "\r", "\u009b"} {
		if strings.Contains(out.String(), bad) {
			t.Errorf("rendered report holds %q", bad)
		}
	}
	if !strings.Contains(out.String(), `boom\x1b[2J`) {
		t.Errorf("the escaped message is missing:\n%s", out.String())
	}
	if back.Connections[0].GoAways[`NO_ERROR boom\x1b[2J\x1b]0;pwned\x07\rhidden\u009b`] != 1 {
		t.Errorf("GOAWAY keys not escaped: %v", back.Connections[0].GoAways)
	}
}
