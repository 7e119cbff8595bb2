package gate

import (
	"fmt"

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
		for _, l := range limits {
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
