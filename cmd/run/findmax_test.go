package run

import (
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/cmd/cli/clitest"
)

func TestFindMaxLimitSet(t *testing.T) {
	tests := []struct {
		in      string
		want    FindMaxLimit
		wantErr bool
	}{
		{in: "10m,20000", want: FindMaxLimit{Time: 10 * time.Minute, Rate: 20000}},
		{in: "20000/s, 90s", want: FindMaxLimit{Time: 90 * time.Second, Rate: 20000}},
		{in: "30s", want: FindMaxLimit{Time: 30 * time.Second, Rate: defaultTopRate}},
		{in: "1500", want: FindMaxLimit{Time: defaultFindMaxFor, Rate: 1500}},
		{in: "soon", wantErr: true},
		{in: "0", wantErr: true},
		{in: "-5m", wantErr: true},
		{in: "5m,", wantErr: true},
		{in: "Inf", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l := FindMaxLimit{Time: defaultFindMaxFor, Rate: defaultTopRate}
			err := l.Set(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Set(%q) = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && l != tt.want {
				t.Errorf("Set(%q) = %+v, want %+v", tt.in, l, tt.want)
			}
		})
	}
}

func TestFindMaxFlags(t *testing.T) {
	t.Parallel()
	clitest.RunFlagCases(t, []clitest.FlagCase[RunOptions]{
		{Name: "defaults of a search", Argv: []string{"--find-max", "p(99)<40ms, error_rate<1%", "host:1", "pkg.S/M"},
			Check: func(t *testing.T, o *RunOptions) {
				l := o.Load
				if l.RPS != defaultStartRate || l.Duration != defaultStep || l.Warmup != defaultStepWarmup {
					t.Errorf("load %+v, want the search's defaults", l)
				}
				if len(o.FindMax.slo) != 2 || o.FindMax.slo[1].Expr != "error_rate<1%" {
					t.Errorf("slo %+v", o.FindMax.slo)
				}
				if o.FindMax.Limit != (FindMaxLimit{Time: defaultFindMaxFor, Rate: defaultTopRate}) {
					t.Errorf("limit %+v", o.FindMax.Limit)
				}
			}},
		{Name: "given values win", Argv: []string{"--find-max", "p(99)<40ms", "--rps", "300", "-z", "2s", "--warmup", "0s", "--find-max-limit", "1m,9000", "--assert", "max_rate>=500", "host:1", "pkg.S/M"},
			Check: func(t *testing.T, o *RunOptions) {
				if o.Load.RPS != 300 || o.Load.Duration != 2*time.Second || o.Load.Warmup != 0 || o.FindMax.Limit.Rate != 9000 || len(o.assertions) != 1 {
					t.Errorf("load %+v, limit %+v, assertions %d", o.Load, o.FindMax.Limit, len(o.assertions))
				}
			}},
		{Name: "with -n", Argv: []string{"--find-max", "p(99)<1s", "-n", "10", "host:1", "pkg.S/M"}, WantErr: "cannot be combined with -n", Code: cli.ExitUsage},
		{Name: "with stages", Argv: []string{"--find-max", "p(99)<1s", "--stages", "1s:10", "host:1", "pkg.S/M"}, WantErr: "cannot be combined with --stages", Code: cli.ExitUsage},
		{Name: "with abort", Argv: []string{"--find-max", "p(99)<1s", "--assert", "p(99)<1s", "--abort-on-fail", "host:1", "pkg.S/M"}, WantErr: "cannot be combined with --abort-on-fail", Code: cli.ExitUsage},
		{Name: "zero steps", Argv: []string{"--find-max", "p(99)<1s", "-z", "0s", "host:1", "pkg.S/M"}, WantErr: "-z above 0", Code: cli.ExitUsage},
		{Name: "max_rate without a search", Argv: []string{"-n", "1", "--assert", "max_rate>1", "host:1", "pkg.S/M"}, WantErr: "max_rate is measured by --find-max", Code: cli.ExitUsage},
	}, NewCmdRun)
}
