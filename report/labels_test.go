package report

import (
	"reflect"
	"testing"
)

func TestCommonLabels(t *testing.T) {
	tests := []struct {
		name     string
		reports  []*Summary
		wantName string
		wantTags map[string]string
	}{
		{"none", []*Summary{{}, {}}, "", nil},
		{"same", []*Summary{{Name: "a", Tags: map[string]string{"env": "ci"}}, {Name: "a", Tags: map[string]string{"env": "ci"}}}, "a", map[string]string{"env": "ci"}},
		{"shared only", []*Summary{
			{Name: "soak", Tags: map[string]string{"env": "ci", "pod": "0", "only": "here"}},
			{Name: "soak", Tags: map[string]string{"env": "ci", "pod": "1"}},
		}, "soak", map[string]string{"env": "ci"}},
		{"names differ", []*Summary{{Name: "a"}, {Name: "b"}}, "", nil},
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

func TestLabel(t *testing.T) {
	for _, tt := range []struct {
		name string
		tags map[string]string
		want string
	}{
		{"", nil, ""},
		{"soak", nil, "soak"},
		{"", map[string]string{"b": "2", "a": "1"}, "a=1 · b=2"},
		{"soak", map[string]string{"pod": "0", "env": "ci"}, "soak · env=ci · pod=0"},
	} {
		if got := Label(tt.name, tt.tags); got != tt.want {
			t.Errorf("Label(%q, %v) = %q, want %q", tt.name, tt.tags, got, tt.want)
		}
	}
}
