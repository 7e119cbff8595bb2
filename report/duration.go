package report

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatDuration writes d for people: three significant digits in the
// largest unit that keeps it at least 1 (850µs, 1.23ms, 2.5s), and Go's
// h/m/s form from a minute up.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		// -MinInt64 is MinInt64 again: round it to its neighbour first.
		return "-" + FormatDuration(-max(d, -math.MaxInt64))
	}
	if d >= time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	n := roundSignificant(int64(d), 3)
	switch {
	case n == 0:
		return "0s"
	case n < 1e3:
		return strconv.FormatInt(n, 10) + "ns"
	case n < 1e6:
		return TrimZeros(float64(n)/1e3) + "µs"
	case n < 1e9:
		return TrimZeros(float64(n)/1e6) + "ms"
	}
	return TrimZeros(float64(n)/1e9) + "s"
}

// roundSignificant rounds n (non-negative) to digits significant digits.
func roundSignificant(n int64, digits int) int64 {
	p := int64(1)
	for v := n; v >= 10; v /= 10 {
		if digits--; digits <= 0 {
			p *= 10
		}
	}
	return (n + p/2) / p * p
}

// TrimZeros formats a value of 1 to 999.x with at most 3 significant
// digits and no trailing zeros.
func TrimZeros(v float64) string {
	prec := 2
	if v >= 100 {
		prec = 0
	} else if v >= 10 {
		prec = 1
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Approx writes an estimate to two significant digits: "~300ms", "~1s".
func Approx(d time.Duration) string {
	if d >= time.Minute {
		return FormatDuration(d.Round(time.Second))
	}
	return FormatDuration(time.Duration(roundSignificant(int64(d), 2)))
}

// RelTime writes a time relative to the start of measurement: "+1.2s".
func RelTime(d time.Duration) string {
	if d < 0 {
		return FormatDuration(d) + " (before measurement)"
	}
	return "+" + FormatDuration(d)
}
