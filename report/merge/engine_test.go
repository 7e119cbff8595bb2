package merge

import (
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// A merge keeps the engine its sources share, and says "mixed" when
// different engines measured them (a report from before the field counts
// as grpc-go's).
func TestMergeEngine(t *testing.T) {
	tests := []struct {
		name    string
		engines []string
		want    string
	}{
		{"both grpc", []string{"grpc", "grpc"}, "grpc"},
		{"old and grpc", []string{"", "grpc"}, "grpc"},
		{"both h2", []string{"h2", "h2"}, "h2"},
		{"grpc and h2", []string{"grpc", "h2"}, report.EngineMixed},
		{"old and h2", []string{"h2", ""}, report.EngineMixed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srcs []*report.Summary
			for i, e := range tt.engines {
				s := syntheticSummary(t, event.Unary)
				s.Engine = e
				s.StartedAt.Time = s.StartedAt.Add(time.Duration(i) * time.Millisecond) // another run
				srcs = append(srcs, s)
			}
			m, err := Reports(srcs)
			if err != nil {
				t.Fatal(err)
			}
			if m.Engine != tt.want {
				t.Errorf("engine %q, want %q", m.Engine, tt.want)
			}
			if err := report.Validate(m); err != nil {
				t.Error(err)
			}
		})
	}
}
