package conn

import (
	"os"
	"strings"
	"testing"
)

// Files named by flags are read with a limit: /dev/zero fails at once.
func TestSmallFileLimits(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"cacert", func() error { _, err := (Target{CACert: "/dev/zero"}).tlsConfig(); return err }, "--cacert /dev/zero: larger than 4 MiB"},
		{"cert", func() error { _, err := (Target{Cert: "/dev/zero", Key: "/dev/zero"}).tlsConfig(); return err }, "--cert /dev/zero: larger than 4 MiB"},
		{"service config", func() error { _, err := serviceConfig("", &Retry{ServiceConfig: "@/dev/zero"}); return err }, "--service-config /dev/zero: larger than 1 MiB"},
		{"missing", func() error { _, err := (Target{CACert: "/nonexistent/ca.pem"}).tlsConfig(); return err }, "--cacert: open /nonexistent/ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestFiniteFloatFlag(t *testing.T) {
	t.Parallel()
	var f float64
	v := finiteFloat{&f}
	for _, bad := range []string{"NaN", "nan", "Inf", "-Inf", "+inf", "x"} {
		if err := v.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	if err := v.Set("1.5"); err != nil || f != 1.5 {
		t.Errorf("Set(1.5): %v, %g", err, f)
	}
	b := ConnectBackoff{Multiplier: nan()}
	if err := b.Validate(); err == nil {
		t.Error("a NaN multiplier set in code passed Validate")
	}
}

func nan() float64 { var zero float64; return zero / zero }
