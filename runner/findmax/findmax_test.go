package findmax

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// capacity is a fake objective: a step passes while the rate is at most
// limit. It advances a fake clock by step per call.
type capacity struct {
	limit float64
	step  time.Duration
	clock time.Time
	rates []float64
}

func (c *capacity) now() time.Time { return c.clock }

func (c *capacity) run(_ context.Context, rate float64) (bool, error) {
	c.rates = append(c.rates, rate)
	c.clock = c.clock.Add(c.step)
	return rate <= c.limit, nil
}

func TestSearch(t *testing.T) {
	tests := []struct {
		name     string
		capacity float64
		limits   Limits
		want     Result
	}{
		{
			name: "rise then bisect", capacity: 1000,
			limits: Limits{Start: 100, Top: 100000},
			// 100 200 400 800 pass, 1600 fails; then 1200 f, 1000 p, 1100 f, 1050 f (within 5%)
			want: Result{Max: 1000, Fail: 1050, Stop: StopConverged, Trials: []Trial{
				{100, true}, {200, true}, {400, true}, {800, true}, {1600, false},
				{1200, false}, {1000, true}, {1100, false}, {1050, false},
			}},
		},
		{
			name: "coarser precision stops sooner", capacity: 1000,
			limits: Limits{Start: 100, Top: 100000, Precision: 0.25},
			want: Result{Max: 1000, Fail: 1200, Stop: StopConverged, Trials: []Trial{
				{100, true}, {200, true}, {400, true}, {800, true}, {1600, false},
				{1200, false}, {1000, true},
			}},
		},
		{
			name: "top rate passes", capacity: 1e9,
			limits: Limits{Start: 100, Top: 500},
			want: Result{Max: 500, Stop: StopTopRate, Trials: []Trial{
				{100, true}, {200, true}, {400, true}, {500, true},
			}},
		},
		{
			name: "top rate fails: bisect below it", capacity: 450,
			limits: Limits{Start: 100, Top: 500, Precision: 0.1},
			want: Result{Max: 450, Fail: 475, Stop: StopConverged, Trials: []Trial{
				{100, true}, {200, true}, {400, true}, {500, false}, {450, true}, {475, false},
			}},
		},
		{
			name: "start fails: halve down", capacity: 30,
			limits: Limits{Start: 100, Top: 1000, Precision: 0.2},
			want: Result{Max: 29, Fail: 32, Stop: StopConverged, Trials: []Trial{
				{100, false}, {50, false}, {25, true}, {38, false}, {32, false}, {29, true},
			}},
		},
		{
			name: "nothing passes", capacity: 0,
			limits: Limits{Start: 8, Top: 1000},
			want: Result{Fail: 1, Stop: StopNonePassed, Trials: []Trial{
				{8, false}, {4, false}, {2, false}, {1, false},
			}},
		},
		{
			name: "time limit", capacity: 1000,
			limits: Limits{Start: 100, Top: 100000, Time: 35 * time.Second, Step: 10 * time.Second},
			want: Result{Max: 400, Stop: StopTimeLimit, Trials: []Trial{
				{100, true}, {200, true}, {400, true},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &capacity{limit: tt.capacity, step: tt.limits.Step, clock: time.Unix(0, 0)}
			got, err := Search(context.Background(), tt.limits, c.now, c.run)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSearchInterruptedKeepsWhatWasFound(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	step := func(ctx context.Context, rate float64) (bool, error) {
		if rate == 400 { // Ctrl-C during the third step
			cancel()
			return false, ctx.Err()
		}
		return true, nil
	}
	got, err := Search(ctx, Limits{Start: 100, Top: 1000}, nil, step)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Max: 200, Stop: StopInterrupted, Trials: []Trial{{100, true}, {200, true}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestSearchStepErrorKeepsWhatWasFound(t *testing.T) {
	boom := errors.New("dial: connection refused")
	step := func(_ context.Context, rate float64) (bool, error) {
		if rate == 200 {
			return false, boom
		}
		return true, nil
	}
	got, err := Search(context.Background(), Limits{Start: 100, Top: 1000}, nil, step)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if got.Max != 100 || got.Stop != StopError || len(got.Trials) != 1 {
		t.Errorf("got %+v, want Max 100 after one trial, stop error", got)
	}
}

func TestLimitsValidate(t *testing.T) {
	tests := []struct {
		name   string
		limits Limits
		ok     bool
	}{
		{"fine", Limits{Start: 100, Top: 1000, Time: time.Minute, Step: 5 * time.Second}, true},
		{"zero start", Limits{Start: 0, Top: 1000}, false},
		{"top below start", Limits{Start: 100, Top: 50}, false},
		{"step longer than limit", Limits{Start: 1, Top: 2, Time: time.Second, Step: 2 * time.Second}, false},
		{"factor 1", Limits{Start: 1, Top: 2, Factor: 1}, false},
		{"precision 1", Limits{Start: 1, Top: 2, Precision: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.limits.Validate()
			if (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
