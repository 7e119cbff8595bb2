package conn

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/runner/plan"
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
		{"cacert", func() error { _, err := tlsConfig(context.Background(), plan.Target{CACert: "/dev/zero"}); return err }, "--cacert /dev/zero: larger than 4 MiB"},
		{"cert", func() error {
			_, err := tlsConfig(context.Background(), plan.Target{Cert: "/dev/zero", Key: "/dev/zero"})
			return err
		}, "--cert /dev/zero: larger than 4 MiB"},
		{"service config", func() error {
			_, err := serviceConfig(context.Background(), &plan.Target{Retry: plan.Retry{ServiceConfig: "@/dev/zero"}})
			return err
		}, "--service-config /dev/zero: larger than 1 MiB"},
		{"missing", func() error {
			_, err := tlsConfig(context.Background(), plan.Target{CACert: "/nonexistent/ca.pem"})
			return err
		}, "--cacert: open /nonexistent/ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func nan() float64 { var zero float64; return zero / zero }

// An empty --cacert is no CA, not the system's pool; an empty --cert/--key
// is no key pair: both are errors, read at the dial or from Files.
func TestEmptyTLSFiles(t *testing.T) {
	t.Parallel()
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		t    plan.Target
		want string
	}{
		{"cacert", plan.Target{CACert: empty}, "no PEM certificate in the file"},
		{"cert", plan.Target{Cert: empty, Key: empty}, "--cert/--key"},
		{"cacert checked", plan.Target{CACert: empty, Files: &plan.Files{}}, "no PEM certificate in the file"},
	} {
		for range 2 { // the second from Files, when the target has them
			if _, err := tlsConfig(context.Background(), tt.t); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
			}
		}
	}
}
