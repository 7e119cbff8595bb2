package run

import (
	"testing"
	"time"
)

func TestCheckStartAt(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		at      time.Time
		wantErr bool
	}{
		{time.Time{}, false},
		{now.Add(time.Minute), false},
		{now.Add(-startAtGrace), false}, // slightly past: starts at once
		{now.Add(-startAtGrace - time.Second), true},
	} {
		if err := checkStartAt(tt.at, now); (err != nil) != tt.wantErr {
			t.Errorf("checkStartAt(%s) = %v, want error %v", tt.at, err, tt.wantErr)
		}
	}
}
