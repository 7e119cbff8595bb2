package cmd

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

func TestHealthFlags(t *testing.T) {
	t.Parallel()
	f, _, _ := testFactory("")
	var got *HealthOptions
	cmd := NewCmdHealth(f, func(o *HealthOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--plaintext", "--watch", "-H", "a: b", "--timeout", "2s", "host:1", "my.Svc"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Conn.Target.Addr != "host:1" || got.Service != "my.Svc" || !got.Watch || got.Timeout != 2*time.Second ||
		!got.Conn.Target.Plaintext || got.Conn.Metadata.Headers[0] != "a: b" {
		t.Errorf("options = %+v", got)
	}
	if cmd.Flags().Lookup("proto") != nil {
		t.Error("health has --proto: descriptor files mean nothing to it")
	}
}

// healthServer starts a gRPC server with grpc-go's health service, whose
// statuses the test sets.
func healthServer(t *testing.T) (*health.Server, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(s, hs)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return hs, lis.Addr().String()
}

func TestHealthRun(t *testing.T) {
	t.Parallel()
	hs, addr := healthServer(t)
	hs.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus("unsure", healthpb.HealthCheckResponse_UNKNOWN)
	bare := testserver.Start(t, testserver.WithoutHealth())
	tests := []struct {
		name      string
		args      []string
		code      int
		out, diag string
	}{
		{"server", []string{addr}, 0, "SERVING\n", ""},
		{"not serving", []string{addr, "down"}, cli.ExitNotServing, "NOT_SERVING\n", `service "down" at ` + addr + " is NOT_SERVING"},
		{"unknown", []string{addr, "unsure"}, cli.ExitHealthUnknown, "UNKNOWN\n", "is UNKNOWN"},
		{"service unknown", []string{addr, "nope"}, cli.ExitServiceUnknown, "SERVICE_UNKNOWN\n", `does not know service "nope"`},
		{"no health service", []string{bare.Addr()}, cli.ExitNoHealth, "", "has no health service"},
		{"no health service, watch", []string{"--watch", bare.Addr()}, cli.ExitNoHealth, "", "has no health service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, out, errOut := testFactory("")
			code := Run(context.Background(), f, append([]string{"health", "--plaintext"}, tt.args...))
			if code != tt.code || out.String() != tt.out || !strings.Contains(errOut.String(), tt.diag) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr with %q",
					code, out, errOut, tt.code, tt.out, tt.diag)
			}
		})
	}
}

// TestHealthWatch follows a service from NOT_SERVING to SERVING and back,
// and exits by the last status seen.
func TestHealthWatch(t *testing.T) {
	t.Parallel()
	hs, addr := healthServer(t)
	hs.SetServingStatus("svc", healthpb.HealthCheckResponse_NOT_SERVING)
	for _, final := range []healthpb.HealthCheckResponse_ServingStatus{healthpb.HealthCheckResponse_SERVING, healthpb.HealthCheckResponse_NOT_SERVING} {
		t.Run(final.String(), func(t *testing.T) {
			pr, pw := io.Pipe()
			f, _, _ := testFactory("")
			opts := &HealthOptions{IO: &cli.IOStreams{Out: pw, ErrOut: io.Discard}, Dial: f.Dial, Service: "svc", Watch: true,
				Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC) }}
			opts.Conn.Target.Addr, opts.Conn.Target.Plaintext, opts.Conn.Target.ConnectTimeout = addr, true, 10*time.Second
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- healthRun(ctx, opts); pw.Close() }()
			lines := bufio.NewScanner(pr)
			expect := func(want string) {
				t.Helper()
				if !lines.Scan() {
					t.Fatalf("watch ended before %q: %v", want, lines.Err())
				}
				if got := lines.Text(); got != "2026-01-02T03:04:05.006Z "+want {
					t.Fatalf("line %q, want the time and %s", got, want)
				}
			}
			expect("NOT_SERVING")
			hs.SetServingStatus("svc", healthpb.HealthCheckResponse_SERVING)
			expect("SERVING")
			if final != healthpb.HealthCheckResponse_SERVING {
				hs.SetServingStatus("svc", final)
				expect(final.String())
			}
			cancel() // Ctrl-C
			go io.Copy(io.Discard, pr)
			err := <-done
			if got, want := cli.ExitCode(err), cli.ExitCode(&cli.HealthError{Status: final}); got != want {
				t.Errorf("watch ended with %v: exit %d, want %d", err, got, want)
			}
			// Leave the service as the next subtest expects it.
			hs.SetServingStatus("svc", healthpb.HealthCheckResponse_NOT_SERVING)
		})
	}
}

// endingHealth is a health service whose Watch sends statuses and then ends
// the stream cleanly.
type endingHealth struct {
	healthpb.UnimplementedHealthServer
	statuses []healthpb.HealthCheckResponse_ServingStatus
}

func (h *endingHealth) Watch(_ *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	for _, st := range h.statuses {
		if err := stream.Send(&healthpb.HealthCheckResponse{Status: st}); err != nil {
			return err
		}
	}
	return nil
}

// TestHealthWatchStreamEnds: when the server ends the stream, the last status
// decides the exit code.
func TestHealthWatchStreamEnds(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	healthpb.RegisterHealthServer(s, &endingHealth{statuses: []healthpb.HealthCheckResponse_ServingStatus{
		healthpb.HealthCheckResponse_SERVING, healthpb.HealthCheckResponse_NOT_SERVING}})
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	f, out, errOut := testFactory("")
	code := Run(context.Background(), f, []string{"health", "--plaintext", "--watch", lis.Addr().String()})
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if code != cli.ExitNotServing || len(lines) != 2 || !strings.HasSuffix(lines[0], " SERVING") || !strings.HasSuffix(lines[1], " NOT_SERVING") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d after SERVING and NOT_SERVING", code, out, errOut, cli.ExitNotServing)
	}
}
