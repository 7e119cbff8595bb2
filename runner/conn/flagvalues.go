package conn

import (
	"fmt"
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
