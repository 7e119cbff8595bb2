package report

import (
	"errors"
	"math"
	stdreflect "reflect"
	"strings"
	"testing"
	"time"
)

// fullSummary builds a Summary with every pointer set, one element in
// every slice and one entry in every map, all of valid values, but for
// its leaf number bad (counted in walk order, from 0), set out of any
// range: the smallest int64, or NaN. It returns the JSON path of that leaf
// and how many numeric leaves there are.
func fullSummary(bad int) (s *Summary, badPath string, leaves int) {
	s = &Summary{}
	var fill func(path string, v stdreflect.Value, depth int)
	fill = func(path string, v stdreflect.Value, depth int) {
		if depth > 30 {
			panic("fullSummary: too deep at " + path)
		}
		t := v.Type()
		switch {
		case t == timeType:
			v.Set(stdreflect.ValueOf(t0))
			return
		case t == timestampType:
			v.Set(stdreflect.ValueOf(Timestamp{Time: t0}))
			return
		}
		switch v.Kind() {
		case stdreflect.Pointer:
			v.Set(stdreflect.New(t.Elem()))
			fill(path, v.Elem(), depth+1)
		case stdreflect.Slice:
			v.Set(stdreflect.MakeSlice(t, 1, 1))
			fill(path+"[0]", v.Index(0), depth+1)
		case stdreflect.Array:
			for i := range v.Len() {
				fill(path+"["+string(rune('0'+i))+"]", v.Index(i), depth+1)
			}
		case stdreflect.Map:
			k := stdreflect.New(t.Key()).Elem()
			if k.Kind() == stdreflect.String {
				k.SetString("k")
			}
			e := stdreflect.New(t.Elem()).Elem()
			fill(path+`["`+k.String()+`"]`, e, depth+1)
			v.Set(stdreflect.MakeMap(t))
			v.SetMapIndex(k, e)
		case stdreflect.Struct:
			for i := range t.NumField() {
				f := t.Field(i)
				name := jsonName(f)
				if !f.IsExported() || name == "-" {
					continue
				}
				if f.Anonymous && name == "" {
					fill(path, v.Field(i), depth+1)
					continue
				}
				if name == "" {
					name = snake(f.Name)
					if f.Type == durationType {
						name += "_ns"
					}
				}
				fill(strings.TrimPrefix(path+"."+name, "."), v.Field(i), depth+1)
			}
		case stdreflect.Int, stdreflect.Int8, stdreflect.Int16, stdreflect.Int32, stdreflect.Int64:
			if leaves == bad {
				v.SetInt(math.MinInt64 >> (64 - 8*t.Size()))
				badPath = path
			}
			leaves++
		case stdreflect.Float32, stdreflect.Float64:
			if leaves == bad {
				v.SetFloat(math.NaN())
				badPath = path
			}
			leaves++
		}
	}
	fill("", stdreflect.ValueOf(s).Elem(), 0)
	return s, badPath, leaves
}

// Every signed or float field of a report, at any depth, is checked: a
// report with any one of them out of range is refused, naming it. A field
// added to the report without a range that refuses something fails here.
func TestValidateCoversEveryNumericField(t *testing.T) {
	free := map[string]bool{"options.call.seed": true} // any int64 seeds the templates
	good, _, leaves := fullSummary(-1)
	if err := Validate(good); err != nil {
		t.Fatalf("a report of valid values: %v", err)
	}
	if leaves < 200 {
		t.Fatalf("only %d numeric fields found: the walk of the report is broken", leaves)
	}
	for i := range leaves {
		s, path, _ := fullSummary(i)
		if free[path] {
			continue
		}
		err := Validate(s)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "field "+path+" is") {
			t.Errorf("%s out of range: Validate = %v, want ErrCorrupt naming it", path, err)
		}
	}
}

// A report of valid values a walk does not know (a map's entries, an
// offset before the start) validates.
func TestValidateAcceptsNegativeOffsets(t *testing.T) {
	s, _, _ := fullSummary(-1)
	s.Connections[0].Events[0].At = -time.Second
	s.Connections[0].SilentWindows[0].From = -time.Second
	d := -time.Second
	s.Connections[0].StalledAt = &d
	if err := Validate(s); err != nil {
		t.Error(err)
	}
}
