package gate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// parseAssertion parses one expression, which may start with a method
// selector: "method=NAME,p(99)<20ms" gates only the calls of method NAME of
// a mix (a full name, or its last part: "Service/Method", "Method").
func parseAssertion(expr string) (Assertion, error) {
	expr = strings.TrimSpace(expr)
	method, body, err := cutMethod(expr)
	if err != nil {
		return Assertion{Expr: expr}, err
	}
	a, err := parseBody(body)
	a.Expr, a.method = expr, method
	return a, err
}

// cutMethod splits "method=NAME,rest" (or "method=NAME rest") into NAME
// and rest; an expression without the selector is all rest.
func cutMethod(expr string) (method, rest string, err error) {
	if !strings.HasPrefix(strings.ToLower(expr), "method=") {
		return "", expr, nil
	}
	sel := expr[len("method="):]
	end := strings.IndexAny(sel, ", \t")
	if end <= 0 {
		return "", "", errors.New("method= names no method and no metric: want e.g. method=pkg.Service/Method,p(99)<20ms")
	}
	return sel[:end], strings.TrimLeft(sel[end:], ", \t"), nil
}

// Method is the method the assertion gates ("" for the run's totals).
func (a Assertion) Method() string { return a.method }

// scope is what a measures: s, or for a method selector the method's part
// of s (nil when s has no such method).
func (a Assertion) scope(s *report.Summary) *report.Summary {
	if a.method == "" || s == nil {
		return s
	}
	if len(s.Methods) == 0 {
		if report.MatchMethod(s.Method, a.method) {
			return s
		}
		return nil
	}
	m, ok := s.FindMethod(a.method)
	if !ok {
		return nil
	}
	return s.ForMethod(m)
}

// CheckMix is CheckKind for a mix of methods (names[i] of kinds[i]): an
// assertion with a method selector must name one of them (without
// ambiguity) and is checked against its kind; the others are checked
// against the kind of the totals (event.MixKind).
func CheckMix(as []Assertion, names []string, kinds []event.Kind) error {
	var errs []error
	var totals []Assertion
	for _, a := range as {
		if a.method == "" {
			totals = append(totals, a)
			continue
		}
		found := -1
		for i, n := range names {
			if report.MatchMethod(n, a.method) {
				if found >= 0 {
					found = -2
					break
				}
				found = i
			}
		}
		switch {
		case found == -1:
			errs = append(errs, fmt.Errorf("assertion %q: the run calls no method %s (it calls %s)", a.Expr, a.method, strings.Join(names, ", ")))
		case found == -2:
			errs = append(errs, fmt.Errorf("assertion %q: %s names more than one method: give its full name", a.Expr, a.method))
		default:
			if err := CheckKind([]Assertion{a}, kinds[found]); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", names[found], err))
			}
		}
	}
	if err := CheckKind(totals, event.MixKind(kinds)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
