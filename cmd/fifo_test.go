//go:build unix

package cmd

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/report"
)

// fifoOnce serves the content of the file at src through a FIFO that can be
// read once, as bash's <(cat src) does.
func fifoOnce(t *testing.T, src string) string {
	t.Helper()
	content, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(src)+".fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(content)
		f.Close()
	}()
	t.Cleanup(func() {
		// A writer still waiting for its reader is let go.
		if f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		<-done
	})
	return path
}

// --cacert, --cert and --key as process substitutions (<(vault read ...)):
// each can be read once, yet reflection and every connection of the run,
// redialled twice, use them, with either engine.
func TestTLSFilesReadOnce(t *testing.T) {
	t.Parallel()
	certs, files := testserver.TestCerts(t, t.TempDir())
	srv := testserver.Start(t, testserver.WithTLS(certs, true))
	for _, engine := range []string{"grpc", "h2"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			// A second read would wait for a writer that never comes: the
			// deadline turns that into a failed run, not a hung test.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			f, out, errOut := testFactory("")
			code := Run(ctx, f, []string{"run", "--engine", engine, "--format", "json",
				"--cacert", fifoOnce(t, files.CA), "--cert", fifoOnce(t, files.ClientCert), "--key", fifoOnce(t, files.ClientKey),
				srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-n", "12", "-c", "2", "--reconnect-every", "4"})
			if code != cli.ExitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, errOut)
			}
			sum, err := report.ReadJSON(out)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Count != 12 || sum.Errors != 0 {
				t.Errorf("%d calls, %d errors; want 12 OK", sum.Count, sum.Errors)
			}
			if h := sum.Connectivity.Handshake; h == nil || h.TLS == nil || h.TLS.Count != 3 {
				t.Errorf("handshakes %+v, want 3 over TLS", h)
			}
		})
	}
}

// --service-config @<(...) is read once too: by the check, then by the dial
// and the attempt counter.
func TestServiceConfigFileReadOnce(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	dir := t.TempDir()
	sc := filepath.Join(dir, "sc.json")
	policy := `{"methodConfig":[{"name":[{}],"retryPolicy":{"maxAttempts":3,"initialBackoff":"0.01s","maxBackoff":"0.1s","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}}]}`
	if err := os.WriteFile(sc, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, out, errOut := testFactory("")
	code := Run(ctx, f, []string{"run", "--plaintext", "--format", "json", "--service-config", "@" + fifoOnce(t, sc),
		srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-n", "10", "-H", "x-pulse-status: UNAVAILABLE"})
	if code != cli.ExitError {
		t.Fatalf("exit %d, want %d (no call succeeds); stderr:\n%s", code, cli.ExitError, errOut)
	}
	sum, err := report.ReadJSON(out)
	if err != nil {
		t.Fatal(err)
	}
	if r := sum.Connectivity.Retries; r == nil || r.Attempts != 30 {
		t.Errorf("retries %+v, want 30 attempts for 10 calls (the file's policy)", r)
	}
}
