package h2

import (
	"testing"
	"time"
)

func TestDecodeGRPCMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"100%25 done", "100% done"},
		{"%C3%BCn%C3%AFcode%0Aline", "ünïcode\nline"},
		{"bad %zz and %4", "bad %zz and %4"},
		{"%41", "A"},
		{"end%", "end%"},
	}
	for _, tt := range tests {
		if got := decodeGRPCMessage(tt.in); got != tt.want {
			t.Errorf("decodeGRPCMessage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendTimeout(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0n"},
		{-time.Second, "0n"},
		{time.Nanosecond, "1n"},
		{99999999 * time.Nanosecond, "99999999n"},
		{100 * time.Millisecond, "100000u"},
		{100*time.Millisecond + 1, "100001u"},
		{5 * time.Minute, "300000m"},
		{30 * time.Hour, "108000S"},
		{1 << 62, "76861434M"}, {100000000 * time.Minute, "1666667H"},
	}
	for _, tt := range tests {
		if got := string(appendTimeout(nil, tt.d)); got != tt.want {
			t.Errorf("appendTimeout(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
