package gate

import (
	"testing"

	"github.com/grpcpulse/grpcpulse/report"
)

func TestMaxRateAssertion(t *testing.T) {
	as, err := ParseAssertions([]string{"max_rate>=5000", "max_rate<1000/s"})
	if err != nil {
		t.Fatal(err)
	}
	if as[0].Metric() != "max_rate" {
		t.Errorf("Metric() = %q, want max_rate", as[0].Metric())
	}
	tests := []struct {
		name string
		s    *report.Summary
		want []report.AssertionResult
	}{
		{"found", &report.Summary{FindMax: &report.FindMax{MaxRate: 6000}}, []report.AssertionResult{
			{Expr: "max_rate>=5000", Pass: true, Value: "6000/s", Measured: 6000, Threshold: 5000},
			{Expr: "max_rate<1000/s", Pass: false, Value: "6000/s", Measured: 6000, Threshold: 1000},
		}},
		{"none passed", &report.Summary{FindMax: &report.FindMax{}}, []report.AssertionResult{
			{Expr: "max_rate>=5000", Pass: false, Value: "0/s", Measured: 0, Threshold: 5000},
			{Expr: "max_rate<1000/s", Pass: true, Value: "0/s", Measured: 0, Threshold: 1000},
		}},
		{"not a search", &report.Summary{RPS: 6000}, []report.AssertionResult{
			{Expr: "max_rate>=5000", Value: "no data", Threshold: 5000},
			{Expr: "max_rate<1000/s", Value: "no data", Threshold: 1000},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EvaluateAssertions(tt.s, as)
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("%d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
