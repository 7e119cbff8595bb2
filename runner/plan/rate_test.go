package plan

import (
	"testing"
	"time"
)

func TestRateAt(t *testing.T) {
	t.Parallel()
	step := Load{Schedule: Schedule{Kind: ScheduleStep, Start: 100, Step: 50, Every: 10 * time.Second, Max: 180}}
	ramp := Load{Schedule: Schedule{Kind: ScheduleRamp, From: 10, To: 110, Over: 10 * time.Second}}
	tests := []struct {
		name string
		load Load
		at   time.Duration
		want float64
	}{
		{"closed loop", Load{Concurrency: 5}, time.Second, 0},
		{"constant", Load{RPS: 250}, time.Minute, 250},
		{"step start", step, 0, 100},
		{"step second", step, 10 * time.Second, 150},
		{"step capped", step, 25 * time.Second, 180},
		{"ramp start", ramp, 0, 10},
		{"ramp middle", ramp, 5 * time.Second, 60},
		{"ramp held", ramp, time.Hour, 110},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.load.RateAt(tt.at); got != tt.want {
				t.Errorf("RateAt(%s) = %g, want %g", tt.at, got, tt.want)
			}
		})
	}
}

func TestTargetCalls(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		name     string
		load     Load
		from, to time.Duration
		want     int64
	}{
		{"closed", Load{Concurrency: 5}, 0, s, 0},
		{"constant", Load{RPS: 100, Duration: 10 * s}, 2 * s, 3 * s, 100},
		{"constant past -z", Load{RPS: 100, Duration: 10 * s}, 9 * s, 11 * s, 100},
		{"stages up", Load{Stages: Stages{{s, 100}, {2 * s, 100}, {s, 0}}}, 0, s, 50},
		{"stages hold", Load{Stages: Stages{{s, 100}, {2 * s, 100}, {s, 0}}}, s, 2 * s, 100},
		{"stages down", Load{Stages: Stages{{s, 100}, {2 * s, 100}, {s, 0}}}, 3 * s, 5 * s, 50},
		{"ramp", Load{Schedule: Schedule{Kind: "ramp", From: 0, To: 100, Over: 2 * s}}, 0, s, 25},
		{"-n", Load{RPS: 100, Total: 150}, s, 2 * s, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.load.TargetCalls(tt.from, tt.to); got != tt.want {
				t.Errorf("TargetCalls(%s, %s) = %d, want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
}
