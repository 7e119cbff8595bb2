package merge

import (
	"reflect"
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
)

func TestCommonLabels(t *testing.T) {
	tests := []struct {
		name     string
		reports  []*report.Summary
		wantName string
		wantTags map[string]string
	}{
		{"none", []*report.Summary{{}, {}}, "", nil},
		{"same", []*report.Summary{{Name: "a", Tags: map[string]string{"env": "ci"}}, {Name: "a", Tags: map[string]string{"env": "ci"}}}, "a", map[string]string{"env": "ci"}},
		{"shared only", []*report.Summary{
			{Name: "soak", Tags: map[string]string{"env": "ci", "pod": "0", "only": "here"}},
			{Name: "soak", Tags: map[string]string{"env": "ci", "pod": "1"}},
		}, "soak", map[string]string{"env": "ci"}},
		{"names differ", []*report.Summary{{Name: "a"}, {Name: "b"}}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, tags := commonLabels(tt.reports)
			if name != tt.wantName || !reflect.DeepEqual(tags, tt.wantTags) {
				t.Errorf("got %q %v, want %q %v", name, tags, tt.wantName, tt.wantTags)
			}
		})
	}
}
