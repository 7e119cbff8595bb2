package report

import (
	"testing"
)

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
