package report

import (
	"cmp"
	"fmt"
	"math"
	stdreflect "reflect"
	"slices"
	"strings"
	"time"
)

// bounds is the range of a numeric field; free fields take any value.
type bounds struct {
	lo, hi int64
	free   bool
}

// Ranges of the walk, for fields not in fieldBounds.
var (
	countBounds     = bounds{lo: 0, hi: math.MaxInt64}
	spanBounds      = bounds{lo: 0, hi: int64(MaxReportDuration)}
	offsetBounds    = bounds{lo: -int64(MaxReportDuration), hi: int64(MaxReportDuration)}
	histogramBounds = bounds{lo: 0, hi: maxHistogramNS}
	connBounds      = bounds{lo: 0, hi: MaxConnections}
)

// fieldBounds are the fields whose range is not their kind's default (a
// count or a duration of 0 or more), by the name of the struct that holds
// them and their JSON name.
var fieldBounds = map[string]bounds{
	"Load.concurrency":        connBounds,
	"Load.connections":        connBounds,
	"Source.concurrency":      connBounds,
	"Source.first_connection": connBounds,
	"Source.connections":      connBounds,
	"Connection.index":        {lo: 0, hi: MaxConnections - 1},
	"Outage.conn":             {lo: 0, hi: MaxConnections - 1},
	"Event.transport":         {lo: 0, hi: 1 << 40},
	"Point.p50_ns":            histogramBounds,
	"Point.p99_ns":            histogramBounds,
	"Point.max_ns":            histogramBounds,
	"Point.second":            {lo: 0, hi: MaxTimelineSecond},
	"SilentWindow.from_ns":    offsetBounds,
	"SilentWindow.until_ns":   offsetBounds,
	"Call.seed":               {free: true}, // any int64 seeds the templates
}

var (
	durationType  = stdreflect.TypeFor[time.Duration]()
	timeType      = stdreflect.TypeFor[time.Time]()
	timestampType = stdreflect.TypeFor[Timestamp]()
	histogramType = stdreflect.TypeFor[Histogram]()
)

// values checks every exported numeric field of s, at any depth.
func (c *checker) values(s *Summary) {
	c.walk("", stdreflect.ValueOf(s).Elem())
}

// walk checks the numbers in v, named field in the report's JSON.
func (c *checker) walk(field string, v stdreflect.Value) {
	if c.err != nil {
		return
	}
	switch v.Kind() {
	case stdreflect.Pointer, stdreflect.Interface:
		if !v.IsNil() {
			c.walk(field, v.Elem())
		}
	case stdreflect.Slice, stdreflect.Array:
		for i := range v.Len() {
			c.walk(fmt.Sprintf("%s[%d]", field, i), v.Index(i))
		}
	case stdreflect.Map:
		c.mapSize(field, v.Len(), maxMapKeys)
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b stdreflect.Value) int { return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for _, k := range keys {
			c.walk(fmt.Sprintf("%s[%q]", field, fmt.Sprint(k)), v.MapIndex(k))
		}
	case stdreflect.Struct:
		c.structure(field, v)
	default:
		c.number(field, v, defaultBounds(field, v.Type()))
	}
}

// structure checks a struct's fields, and what relates them for the
// structs that have such rules.
func (c *checker) structure(field string, v stdreflect.Value) {
	switch v.Type() {
	case timeType:
		c.startedAt(field, v.Interface().(time.Time))
		return
	case timestampType:
		c.startedAt(field, v.Interface().(Timestamp).Time)
		return
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if !f.IsExported() || name == "-" {
			continue
		}
		if f.Anonymous && name == "" { // an embedded struct: its fields are the outer one's
			c.walk(field, v.Field(i))
			continue
		}
		if name == "" {
			name = snake(f.Name)
			if f.Type == durationType {
				name += "_ns"
			}
		}
		path := name
		if field != "" {
			path = field + "." + name
		}
		fv := v.Field(i)
		if b, ok := fieldBounds[t.Name()+"."+name]; ok && fv.Kind() >= stdreflect.Int && fv.Kind() <= stdreflect.Float64 {
			c.number(path, fv, b)
			continue
		}
		if t == histogramType && fv.Type() == durationType {
			c.number(path, fv, histogramBounds)
			continue
		}
		c.walk(path, fv)
	}
	if t == histogramType {
		h := v.Interface().(Histogram)
		c.histogram(field, &h)
	}
}

// defaultBounds is the range of a numeric field by its kind and name:
// a duration ending "at_ns" is a time either side of the start of
// measurement, other durations and integers are 0 or more.
func defaultBounds(field string, t stdreflect.Type) bounds {
	if t == durationType && strings.HasSuffix(field, "at_ns") {
		return offsetBounds
	}
	if t == durationType {
		return spanBounds
	}
	return countBounds
}

// number checks one numeric value against b; floats must be finite and 0
// or more (rates, weights, thresholds), unsigned integers take any value.
func (c *checker) number(field string, v stdreflect.Value, b bounds) {
	switch {
	case b.free:
	case v.CanInt():
		if n := v.Int(); n < b.lo || n > b.hi {
			c.fail(field, n, fmt.Sprintf("%d to %d", b.lo, b.hi))
		}
	case v.CanFloat():
		if f := v.Float(); !(f >= 0) || f > 1e300 {
			c.fail(field, f, "a number, 0 or more")
		}
	}
}

// jsonName is the name in f's json tag: "" when it has none, "-" when it
// is not written.
func jsonName(f stdreflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// snake is a Go field name in the report's JSON style: MinDuration is
// min_duration, P999 p999.
func snake(name string) string {
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && name[i-1] >= 'a' && name[i-1] <= 'z' {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
