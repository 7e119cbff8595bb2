package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// The units of the values of assertions and comparison rows
// (CompareRow.Unit): what FormatValue and FormatDiff read them as.
const (
	UnitNS        = "ns"         // a duration in nanoseconds
	UnitFraction  = "fraction"   // a rate: 0.001 is 0.1%
	UnitCount     = "count"      // a number of calls
	UnitPerSecond = "per_second" // calls per second
)

// FormatValue writes a value of unit for people, with its unit: "12.3ms",
// "0.25%", "1043/s", "17".
func FormatValue(unit string, v float64) string {
	switch unit {
	case UnitNS:
		return FormatDuration(time.Duration(v))
	case UnitFraction:
		return FormatFraction(v)
	case UnitPerSecond:
		return FormatRate(v) + "/s"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// FormatDiff writes a difference of values of unit, signed: "+4.5ms",
// "-12/s", "+0.25pp" (percentage points, for rates).
func FormatDiff(unit string, d float64) string {
	if d == 0 {
		return "0"
	}
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	switch unit {
	case UnitFraction:
		return sign + strconv.FormatFloat(d*100, 'g', 3, 64) + "pp"
	case UnitNS:
		return sign + FormatDuration(time.Duration(d))
	}
	return sign + FormatValue(unit, d)
}

// AssertionResult is an Assertion evaluated against a Summary.
type AssertionResult struct {
	Expr string `json:"expr"`
	Pass bool   `json:"pass"`
	// Value is the measured value for people, with its unit: "12.3ms",
	// "0.25%", "1043/s", "17"; "no data" when there was nothing to measure
	// (an empty histogram, a rate of no calls), which fails.
	Value string `json:"value"`
	// Measured and Threshold are in nanoseconds for durations, fractions
	// (0.001 for 0.1%) for rates, and plain numbers for counts and rps.
	Measured  float64 `json:"measured"`
	Threshold float64 `json:"threshold"`
}

// FormatFraction writes a fraction as a percentage with up to 3
// significant digits: 0.0025 is "0.25%", 0.00001 "0.001%".
func FormatFraction(f float64) string {
	return strconv.FormatFloat(f*100, 'g', 3, 64) + "%"
}

// CompareSchema names the JSON form of a Comparison (WriteComparisonJSON).
const CompareSchema = "grpcpulse.compare/v1"

// Comparison is a report compared with a baseline.
type Comparison struct {
	Schema string       `json:"schema"`
	Method string       `json:"method"`
	Kind   event.Kind   `json:"kind"`
	Base   ComparedRun  `json:"base"`
	New    ComparedRun  `json:"new"`
	Rows   []CompareRow `json:"rows"`
	// Regressions says, for each row over its limit, what changed.
	Regressions []string `json:"regressions"`
	// ShapeNotes are the load differences Compare was forced past; empty
	// when the shapes match.
	ShapeNotes []string `json:"shape_notes"`
	// Notes are differences that do not make the runs incomparable (tool
	// versions, target, -n, -z, warm-up, timeout).
	Notes []string `json:"notes"`
	// Pass is false when any row exceeded its limit.
	Pass bool `json:"pass"`
	// Methods compare each method of a mix that both reports ran, with
	// the same rows and limits as the totals; nil unless the new report
	// is of a mix.
	Methods []MethodComparison `json:"methods,omitempty"`
}

// MethodComparison is one method's part of a Comparison.
type MethodComparison struct {
	Method string       `json:"method"`
	Rows   []CompareRow `json:"rows"`
	Pass   bool         `json:"pass"`
}

// ComparedRun identifies one of the compared reports.
type ComparedRun struct {
	// Label is its --name and --tag labels in one line (Label); "" when
	// it has none.
	Label     string        `json:"label,omitempty"`
	Target    string        `json:"target"`
	Tool      string        `json:"tool"`
	StartedAt Timestamp     `json:"started_at"`
	Duration  time.Duration `json:"duration_ns"`
	// Load is the load shape in the flags' words ("closed loop · 4 workers
	// · 2 connections · -n 200").
	Load string `json:"load"`
	// Sources is how many runs the report merged (1 for a single run).
	Sources int `json:"sources"`
}

// CompareRow is one metric of both reports.
type CompareRow struct {
	// Metric is named as in assertions: "p(99)", "msg_rtt.p(50)", "rps".
	Metric string `json:"metric"`
	// Unit is "ns", "fraction" (error rates), "count" or "per_second".
	Unit string `json:"unit"`
	// Better is the direction that is an improvement: "lower" or "higher".
	Better string  `json:"better"`
	Base   float64 `json:"base"`
	New    float64 `json:"new"`
	// Diff is New - Base; Relative is Diff / Base, absent when Base is 0.
	Diff     float64  `json:"diff"`
	Relative *float64 `json:"relative,omitempty"`
	// Limit is the MAX of the limit on this metric as given ("10%"); empty
	// for none.
	Limit    string `json:"limit,omitempty"`
	Exceeded bool   `json:"exceeded"`
}

// FormatRelative writes a relative change as a signed percentage.
func FormatRelative(r float64) string {
	if r == 0 {
		return "0%"
	}
	return fmt.Sprintf("%+.1f%%", r*100)
}

// WriteComparisonJSON writes c as indented JSON (schema
// grpcpulse.compare/v1, documented in docs/report.md).
func WriteComparisonJSON(w io.Writer, c *Comparison) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("writing comparison JSON: %w", err)
	}
	return nil
}
