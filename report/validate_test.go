package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// withField returns the golden unary report with the field at path (keys,
// and indexes as decimal strings) set to v.
func withField(t *testing.T, v any, path ...string) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(readGolden(t, "unary.json.golden"), &doc); err != nil {
		t.Fatal(err)
	}
	var at any = doc
	for i, k := range path {
		last := i == len(path)-1
		switch node := at.(type) {
		case map[string]any:
			if last {
				node[k] = v
			}
			at = node[k]
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n >= len(node) {
				t.Fatalf("path %v: no element %s", path, k)
			}
			if last {
				node[n] = v
			}
			at = node[n]
		default:
			t.Fatalf("path %v: %s is not in a map or list", path, k)
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestReadJSONRefusesCorruptValues(t *testing.T) {
	minInt, maxInt := json.Number(strconv.FormatInt(math.MinInt64, 10)), json.Number(strconv.FormatInt(math.MaxInt64, 10))
	tests := []struct {
		value any
		path  []string
		field string // the name the error must give
	}{
		{minInt, []string{"duration_ns"}, "duration_ns"},
		{maxInt, []string{"duration_ns"}, "duration_ns"},
		{maxInt, []string{"latency", "max_ns"}, "latency.max_ns"},
		{minInt, []string{"latency", "min_ns"}, "latency.min_ns"},
		{maxInt, []string{"latency", "p99_ns"}, "latency.p99_ns"},
		{maxInt, []string{"latency", "mean_ns"}, "latency.mean_ns"},
		{-1, []string{"latency", "count"}, "latency.count"},
		{maxInt, []string{"service_time", "p50_ns"}, "service_time.p50_ns"},
		{1, []string{"latency", "max_ns"}, "latency.max_ns"}, // below its p999
		{-5, []string{"count"}, "count"},
		{minInt, []string{"errors"}, "errors"},
		{-1, []string{"messages", "sent"}, "messages.sent"},
		{-1, []string{"data_bytes"}, "data_bytes"},
		{-1, []string{"rps"}, "rps"},
		{maxInt, []string{"timeline", "0", "max_ns"}, "timeline[0].max_ns"},
		{minInt, []string{"timeline", "0", "p50_ns"}, "timeline[0].p50_ns"},
		{-3, []string{"timeline", "0", "count"}, "timeline[0].count"},
		{0, []string{"timeline", "1", "second"}, "timeline[1].second"}, // not after the one before
		{2_000_000_000, []string{"timeline", "1", "second"}, "timeline[1].second"},
		{minInt, []string{"connections", "0", "unavailable_ns"}, "connections[0].unavailable_ns"},
		{maxInt, []string{"connections", "0", "lifetime", "max_ns"}, "connections[0].lifetime.max_ns"},
		{minInt, []string{"connections", "0", "keepalive_time_ns"}, "connections[0].keepalive_time_ns"},
		{1 << 40, []string{"connections", "0", "index"}, "connections[0].index"},
		{-1, []string{"connections", "0", "index"}, "connections[0].index"},
		{-1, []string{"connections", "0", "calls"}, "connections[0].calls"},
		{minInt, []string{"connections", "0", "events", "0", "at_ns"}, "connections[0].events[0].at_ns"},
		{maxInt, []string{"connectivity", "unavailable_ns"}, "connectivity.unavailable_ns"},
		{maxInt, []string{"connectivity", "backoff", "max_ns"}, "connectivity.backoff.max_ns"},
		{minInt, []string{"connectivity", "keepalive", "rtt_max_ns"}, "connectivity.keepalive.rtt_max_ns"},
		{-1, []string{"connectivity", "connects"}, "connectivity.connects"},
		{maxInt, []string{"options", "load", "duration_ns"}, "options.load.duration_ns"},
		{minInt, []string{"options", "call", "timeout_ns"}, "options.call.timeout_ns"},
		{1 << 40, []string{"options", "load", "connections"}, "options.load.connections"},
		{"1000-01-01T00:00:00Z", []string{"started_at"}, "started_at"},
		{"9999-01-01T00:00:00Z", []string{"started_at"}, "started_at"},
		{"quic", []string{"engine"}, "engine"},
	}
	for _, tt := range tests {
		name := strings.Join(tt.path, ".") + "=" + strings.Trim(strconv.Quote(string(mustJSON(t, tt.value))), `"`)
		t.Run(name, func(t *testing.T) {
			s, err := ReadJSON(strings.NewReader(withField(t, tt.value, tt.path...)))
			if err == nil {
				t.Fatalf("ReadJSON accepted it (%s = %v)", tt.field, tt.value)
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "field "+tt.field+" is") {
				t.Errorf("error %q: want ErrCorrupt naming field %s", err, tt.field)
			}
			_ = s
		})
	}
}

func TestReadJSONRefusesTooManySeries(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(readGolden(t, "unary.json.golden"), &doc); err != nil {
		t.Fatal(err)
	}
	series := map[string]any{}
	for i := range maxSeries + 1 {
		series["s"+strconv.Itoa(i)] = doc["latency"]
	}
	doc["series"] = series
	_, err := ReadJSON(bytes.NewReader(mustJSON(t, doc)))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "field series") {
		t.Errorf("error %v, want ErrCorrupt naming field series", err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenReportsValidate(t *testing.T) {
	for _, name := range []string{"unary.json.golden", "bidi.json.golden"} {
		if _, err := ReadJSON(bytes.NewReader(readGolden(t, name))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestFormatDurationAnyValue(t *testing.T) {
	for _, d := range []time.Duration{math.MinInt64, math.MinInt64 + 1, -time.Hour, math.MaxInt64, math.MaxInt64 - 1} {
		if got := FormatDuration(d); got == "" || (d < 0) != strings.HasPrefix(got, "-") {
			t.Errorf("FormatDuration(%d) = %q", int64(d), got)
		}
		_ = Approx(d)
		_ = RelTime(d)
	}
}
