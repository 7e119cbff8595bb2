package conn

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// positiveDuration is a duration flag that refuses zero and negative values,
// for settings where 0 would break things rather than mean "off" (a
// keepalive timeout of 0 would fail every ping). The field's zero value, in
// code, keeps meaning grpc-go's default.
type positiveDuration struct{ d *time.Duration }

func positiveDurationVar(fs *pflag.FlagSet, d *time.Duration, name string, value time.Duration, usage string) {
	*d = value
	fs.Var(positiveDuration{d}, name, usage)
}

func (p positiveDuration) String() string {
	if p.d == nil {
		return "0s"
	}
	return p.d.String()
}

func (p positiveDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if d <= 0 {
		return fmt.Errorf("must be positive, not %s", d)
	}
	*p.d = d
	return nil
}

func (positiveDuration) Type() string { return "duration" }

// FiniteFloat64Var binds a float flag that refuses NaN and ±Inf, which
// strconv.ParseFloat (and so pflag's Float64Var) accepts: a backoff
// multiplier of NaN makes every wait zero, a reconnect storm.
func FiniteFloat64Var(fs *pflag.FlagSet, p *float64, name string, value float64, usage string) {
	*p = value
	fs.Var(finiteFloat{p}, name, usage)
}

type finiteFloat struct{ f *float64 }

func (v finiteFloat) String() string {
	if v.f == nil {
		return "0"
	}
	return strconv.FormatFloat(*v.f, 'g', -1, 64)
}

func (v finiteFloat) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("must be a finite number, not %s", s)
	}
	*v.f = f
	return nil
}

func (finiteFloat) Type() string { return "float" }

// finite reports whether every value is a number (not NaN or ±Inf):
// options can come from elsewhere than flags (files, code).
func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
