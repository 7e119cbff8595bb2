package plan

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestScheduleSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Schedule
		wantErr string
	}{
		{in: "step:100,50,10s,500", want: Schedule{Kind: "step", Start: 100, Step: 50, Every: 10 * time.Second, Max: 500}},
		{in: "ramp:10,1000,30s", want: Schedule{Kind: "ramp", From: 10, To: 1000, Over: 30 * time.Second}},
		{in: "ramp:0, 2.5, 1m", want: Schedule{Kind: "ramp", To: 2.5, Over: time.Minute}},
		{in: "step:100,50,10s", wantErr: "want step:START,STEP,EVERY,MAX"},
		{in: "ramp:1,2", wantErr: "want ramp:FROM,TO,OVER"},
		{in: "ramp:1,2,soon", wantErr: `"soon" is not a positive duration`},
		{in: "ramp:1,2,-1s", wantErr: "not a positive duration"},
		{in: "step:-1,5,1s,10", wantErr: `"-1" is not a rate`},
		{in: "step:100,5,1s,50", wantErr: "MAX 50 is below START 100"},
		{in: "step:0,1e-300,1s,1000", wantErr: "takes more than 10000 steps"},
		{in: "step:1e20,1,1s,1.0000000000001e20", wantErr: "takes more than 10000 steps"},
		{in: "ramp:0,0,1s", wantErr: "the rate is 0 throughout"},
		{in: "sine:1,2,3", wantErr: "unknown schedule"},
		{in: "", wantErr: "unknown schedule"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var s Schedule
			err := s.Set(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Set(%q) = %v, want error containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s != tt.want {
				t.Errorf("Set(%q) = %+v, want %+v", tt.in, s, tt.want)
			}
			var back Schedule
			if err := back.Set(s.String()); err != nil || back != s {
				t.Errorf("String() %q does not parse back: %v", s.String(), err)
			}
		})
	}
}

func TestPacers(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		name  string
		p     Pacer
		calls []int64
		want  []time.Duration
	}{
		{"constant", ConstantPacer(100), []int64{0, 1, 50, 100}, []time.Duration{0, 10 * ms, 500 * ms, time.Second}},
		// 10/s for 1s (calls 0-9), then 20/s for 1s (10-29), then 30/s held.
		{"step", stepPacer{Start: 10, Step: 10, Every: time.Second, Max: 30},
			[]int64{0, 9, 10, 11, 29, 30, 60}, []time.Duration{0, 900 * ms, time.Second, 1050 * ms, 1950 * ms, 2 * time.Second, 3 * time.Second}},
		// 0 → 100/s over 2s: N(t) = 25 t², so call 25 is due at 1s; 100 at 2s; then 100/s.
		{"ramp", rampPacer{From: 0, To: 100, Over: 2 * time.Second},
			[]int64{0, 25, 100, 150}, []time.Duration{0, time.Second, 2 * time.Second, 2500 * ms}},
		{"flat ramp", rampPacer{From: 50, To: 50, Over: time.Second}, []int64{0, 25, 75}, []time.Duration{0, 500 * ms, 1500 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, n := range tt.calls {
				got, ok := tt.p.Due(n)
				if !ok {
					t.Fatalf("call %d never due", n)
				}
				if d := got - tt.want[i]; d > time.Microsecond || d < -time.Microsecond {
					t.Errorf("call %d due at %s, want %s", n, got, tt.want[i])
				}
			}
			prev := time.Duration(-1)
			for n := range int64(500) {
				got, _ := tt.p.Due(n)
				if got < prev {
					t.Fatalf("call %d due at %s, before call %d at %s", n, got, n-1, prev)
				}
				prev = got
			}
		})
	}
	if _, ok := (rampPacer{From: 10, To: 0, Over: time.Second}).Due(100); ok {
		t.Error("a ramp down to 0 keeps issuing calls after it ends")
	}
}

func TestLoadValidate(t *testing.T) {
	t.Parallel()
	ramp := Schedule{Kind: "ramp", From: 1, To: 2, Over: time.Second}
	tests := []struct {
		name    string
		load    Load
		wantErr string
	}{
		{"closed", Load{Concurrency: 50, Connections: 1}, ""},
		{"open", Load{Concurrency: 5, Connections: 2, RPS: 10, MaxInflight: 3}, ""},
		{"ramp with -z", Load{Concurrency: 5, Connections: 1, Schedule: ramp, Duration: time.Second}, ""},
		{"-c 0", Load{Concurrency: 0, Connections: 1}, "-c must be at least 1"},
		{"no connections", Load{Concurrency: 1, Connections: 0}, "--connections must be at least 1"},
		{"more connections than workers", Load{Concurrency: 2, Connections: 3}, "more than the 2 workers"},
		{"negative -n", Load{Concurrency: 1, Connections: 1, Total: -1}, "-n must not be negative"},
		{"negative -z", Load{Concurrency: 1, Connections: 1, Duration: -1}, "must not be negative"},
		{"negative rps", Load{Concurrency: 1, Connections: 1, RPS: -1}, "--rps must be positive"},
		{"NaN rps", Load{Concurrency: 1, Connections: 1, RPS: math.NaN()}, "--rps must be positive, not NaN"},
		{"infinite rps", Load{Concurrency: 1, Connections: 1, RPS: math.Inf(1)}, "--rps must be positive, not +Inf"},
		{"huge -c", Load{Concurrency: 1_000_000, Connections: 1}, "-c and --max-inflight must be at most 100000"},
		{"rps and schedule", Load{Concurrency: 1, Connections: 1, RPS: 5, Schedule: ramp}, "use one"},
		{"-n and schedule", Load{Concurrency: 1, Connections: 1, Total: 5, Schedule: ramp}, "-n cannot be combined with --schedule"},
		{"max-inflight closed", Load{Concurrency: 1, Connections: 1, MaxInflight: 5}, "applies to open loop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.load.Validate()
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
