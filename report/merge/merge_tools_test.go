package merge

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/text"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// A merge of reports made by different versions records each (the first
// source's Tool alone would hide them); reports of one version record none.
func TestMergeRecordsEachToolVersion(t *testing.T) {
	t.Parallel()
	v1 := report.Tool{Version: "v0.1.0", GRPCGo: "1.85.0"}
	v2 := report.Tool{Version: "v0.2.0", GRPCGo: "1.86.0"}
	run := func(tool report.Tool, second int) *report.Summary {
		s := syntheticSummary(t, event.Unary)
		s.Tool = tool
		s.StartedAt = report.Timestamp{Time: s.StartedAt.Add(time.Duration(second) * time.Second)}
		return s
	}
	merge := func(reports ...*report.Summary) *report.Summary {
		t.Helper()
		m, err := Reports(reports)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := merge(run(v1, 0), run(v1, 1)); m.MergedTools != nil || m.Tool != v1 {
		t.Errorf("one version: tool %+v, merged_tools %+v; want %+v and none", m.Tool, m.MergedTools, v1)
	}
	mixed := merge(run(v1, 0), run(v2, 1), run(v1, 2))
	if want := []report.Tool{v1, v2}; !reflect.DeepEqual(mixed.MergedTools, want) {
		t.Errorf("merged_tools %+v, want %+v", mixed.MergedTools, want)
	}
	// Merging the merged report again keeps what it recorded.
	again := merge(mixed, run(v1, 3))
	if want := []report.Tool{v1, v2}; !reflect.DeepEqual(again.MergedTools, want) {
		t.Errorf("merged again: merged_tools %+v, want %+v", again.MergedTools, want)
	}
	// It survives JSON (Validate accepts it) and the text report says it.
	var js bytes.Buffer
	if err := report.WriteJSON(&js, mixed); err != nil {
		t.Fatal(err)
	}
	back, err := report.ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.MergedTools, mixed.MergedTools) {
		t.Errorf("read back: %+v", back.MergedTools)
	}
	var out bytes.Buffer
	if err := text.Render(&out, back, text.PlainStyles(), 200); err != nil {
		t.Fatal(err)
	}
	if want := "made by different versions: grpcpulse v0.1.0 (grpc-go 1.85.0), grpcpulse v0.2.0 (grpc-go 1.86.0)"; !strings.Contains(out.String(), want) {
		t.Errorf("text report does not say %q:\n%s", want, out.String())
	}
}

// Machines with different processors are not different versions; the
// merged report keeps a processor count only when every source had it.
func TestMergeToolCPUs(t *testing.T) {
	t.Parallel()
	run := func(cpus, second int) *report.Summary {
		s := syntheticSummary(t, event.Unary)
		s.Tool = report.Tool{Version: "v0.1.0", GRPCGo: "1.85.0", CPUs: cpus}
		s.StartedAt = report.Timestamp{Time: s.StartedAt.Add(time.Duration(second) * time.Second)}
		return s
	}
	same, err := Reports([]*report.Summary{run(4, 0), run(4, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if same.Tool.CPUs != 4 || same.MergedTools != nil {
		t.Errorf("same processors: tool %+v, merged_tools %+v; want 4 CPUs and none", same.Tool, same.MergedTools)
	}
	mixed, err := Reports([]*report.Summary{run(4, 0), run(2, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if mixed.Tool.CPUs != 0 || mixed.MergedTools != nil {
		t.Errorf("different processors: tool %+v, merged_tools %+v; want no CPU count and no merged_tools", mixed.Tool, mixed.MergedTools)
	}
}
