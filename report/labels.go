package report

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Stop is why a run ended before its -n or -z: the assertion whose failure
// --abort-on-fail acted on, and when.
type Stop struct {
	// Assertion is the failed gate's expression, as given.
	Assertion string `json:"assertion"`
	// At is how far into measurement the run was stopped.
	At time.Duration `json:"at_ns"`
}

// TagList is tags as "key=value" strings sorted by key: how renderers show
// them.
func TagList(tags map[string]string) []string {
	keys := slices.Sorted(maps.Keys(tags))
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + tags[k]
	}
	return out
}

// Label is the run's name and tags in one line ("checkout · env=prod ·
// region=eu"), or "" when it has neither.
func Label(name string, tags map[string]string) string {
	parts := TagList(tags)
	if name != "" {
		parts = append([]string{name}, parts...)
	}
	return strings.Join(parts, " · ")
}
