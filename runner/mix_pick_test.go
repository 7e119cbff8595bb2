package runner

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// mixWorker is a worker of a mix of the Unary method with weights, as Run
// makes one (seed 7), for pick alone.
func mixWorker(t *testing.T, weights ...float64) (*worker, error) {
	t.Helper()
	md := pulseMethod("Unary")
	reqs, err := data.NewRequests(md.Input(), nil, data.Static, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries := make([]Entry, len(weights))
	for i, wt := range weights {
		entries[i] = Entry{Method: md, Requests: reqs, Weight: wt}
	}
	r, err := NewMix(plan.Options{Load: plan.Load{Concurrency: 1, Connections: 1}, Call: plan.Call{Messages: 1, Seed: 7}}, entries)
	if err != nil {
		return nil, err
	}
	w := &worker{run: &run{Runner: r}}
	w.setMix(context.Background(), nil)
	return w, nil
}

// TestMixPickShares: each method's share of the picks is its weight over
// the sum, fractional and huge weights included; a method of weight 0 is
// never picked.
func TestMixPickShares(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		weights []float64
	}{
		{"whole", []float64{1, 0, 3}},
		{"a half beside 1", []float64{0.5, 1}},
		{"fractions each under 1", []float64{0.9, 0.9}},
		{"past int64's sum", []float64{math.MaxInt64, math.MaxInt64, 0}},
		{"one of weight above 0 among zeros", []float64{0, 2.5, 0}},
		{"a last of weight 0", []float64{0.25, 0.75, 0}},
		{"a vanishing share", []float64{1e-300, 1}},
	}
	const picks = 40000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := mixWorker(t, tt.weights...)
			if err != nil {
				t.Fatal(err)
			}
			counts := make([]int, len(tt.weights))
			for range picks {
				w.pick()
				counts[w.entry]++
			}
			var sum float64
			for _, wt := range tt.weights {
				sum += wt
			}
			for i, wt := range tt.weights {
				got, want := float64(counts[i])/picks, wt/sum
				if wt == 0 && counts[i] != 0 || math.Abs(got-want) > 0.01 {
					t.Errorf("method %d of weight %v: share %.4f of the picks, want %.4f", i, wt, got, want)
				}
			}
		})
	}
}

// TestMixPickWholeRepeats: whole weights pick as they did when weights were
// integers (Uint64N over their sum), so a scenario's --seed repeats the
// same sequence of methods.
func TestMixPickWholeRepeats(t *testing.T) {
	t.Parallel()
	weights := []uint64{6, 3, 1}
	w, err := mixWorker(t, 6, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	old := rand.New(rand.NewPCG(w.Seed, uint64(w.id)))
	old.Uint64N(10) // setMix's first pick
	for n := range 2000 {
		x, i := old.Uint64N(10), 0
		for cum := weights[0]; x >= cum; cum += weights[i] {
			i++
		}
		w.pick()
		if w.entry != i {
			t.Fatalf("pick %d: method %d, the integer picks gave %d", n, w.entry, i)
		}
	}
}

func TestMixRefusesWeights(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		weights []float64
		want    string
	}{
		{[]float64{1, math.NaN()}, "the weight must be a finite number, 0 or more, not NaN"},
		{[]float64{math.Inf(1), 1}, "not +Inf"},
		{[]float64{-1, 2}, "not -1"},
		{[]float64{0, 0}, "every method of the mix has weight 0"},
		{[]float64{math.MaxFloat64, math.MaxFloat64}, "the weights of the mix add up to more than 1.7976931348623157e+308"},
	} {
		_, err := mixWorker(t, tt.weights...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("weights %v: err %v, want %q", tt.weights, err, tt.want)
		}
	}
}
