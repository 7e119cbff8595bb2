package gate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
)

// compareMethods adds to c the comparison of each method of cur's mix that
// base ran too (by full name), with the rows and limits of the totals. A
// method's regression fails c and is named with its method; a limit on a
// series the method lacks is noted, not applied.
func compareMethods(c *report.Comparison, base, cur *report.Summary, limits []Limit) {
	for i := range cur.Methods {
		cm := &cur.Methods[i]
		var bm *report.MethodSummary
		for j := range base.Methods {
			if base.Methods[j].Method == cm.Method {
				bm = &base.Methods[j]
			}
		}
		if bm == nil {
			c.Notes = append(c.Notes, fmt.Sprintf("method %s is not in the base report: not compared", cm.Method))
			continue
		}
		b, n := base.ForMethod(bm), cur.ForMethod(cm)
		var applied []Limit
		for _, l := range limitsFor(limits, cm.Method) {
			if err := hasMetric(l.metric, b, n); err != nil {
				c.Notes = append(c.Notes, fmt.Sprintf("method %s: limit %s not applied: %v", cm.Method, l.Spec, err))
				continue
			}
			applied = append(applied, l)
		}
		sub, err := Compare(b, n, applied, true)
		if err != nil {
			c.Notes = append(c.Notes, fmt.Sprintf("method %s: %v", cm.Method, err))
			continue
		}
		c.Methods = append(c.Methods, report.MethodComparison{Method: cm.Method, Rows: sub.Rows, Pass: sub.Pass})
		for _, r := range sub.Regressions {
			c.Regressions = append(c.Regressions, cm.Method+": "+r)
		}
		c.Pass = c.Pass && sub.Pass
	}
}

// ErrLimitMethod means a limit's method selector names no method of the
// compared report, or more than one.
var ErrLimitMethod = errors.New("the limit's method is not one of the report's")

// limitsFor are the limits on method's calls: those without a method
// selector, but where a limit selecting method names the same metric,
// that one; with their selector dropped.
func limitsFor(limits []Limit, method string) []Limit {
	own := map[string]bool{}
	for _, l := range limits {
		if l.method != "" && report.MatchMethod(method, l.method) {
			own[l.metric.name] = true
		}
	}
	var out []Limit
	for _, l := range limits {
		switch {
		case l.method == "" && !own[l.metric.name]:
			out = append(out, l)
		case l.method != "" && report.MatchMethod(method, l.method):
			l.method = ""
			out = append(out, l)
		}
	}
	return out
}

// totalsLimits are the limits on cur's totals. Of a mix, those without a
// method selector (the others go to each method's comparison); of a run
// of one method, limitsFor it. A selector that names no method of cur,
// or more than one, is an error.
func totalsLimits(limits []Limit, cur *report.Summary) ([]Limit, error) {
	names := []string{cur.Method}
	if len(cur.Methods) > 0 {
		names = names[:0]
		for _, m := range cur.Methods {
			names = append(names, m.Method)
		}
	}
	for _, l := range limits {
		if l.method == "" {
			continue
		}
		n := 0
		for _, name := range names {
			if report.MatchMethod(name, l.method) {
				n++
			}
		}
		switch {
		case n == 0:
			return nil, fmt.Errorf("compare: limit %s: %w: the report has no method %s (it ran %s)", l.Spec, ErrLimitMethod, l.method, strings.Join(names, ", "))
		case n > 1:
			return nil, fmt.Errorf("compare: limit %s: %w: %s names more than one method of the report (%s): give more of the name", l.Spec, ErrLimitMethod, l.method, strings.Join(names, ", "))
		}
	}
	if len(cur.Methods) == 0 {
		return limitsFor(limits, cur.Method), nil
	}
	var out []Limit
	for _, l := range limits {
		if l.method == "" {
			out = append(out, l)
		}
	}
	return out, nil
}
