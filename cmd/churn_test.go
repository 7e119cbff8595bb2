package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/report"
)

// runJSON runs grpcpulse with args and reads its JSON report.
func runJSON(t *testing.T, args ...string) *report.Summary {
	t.Helper()
	f, out, errOut := testFactory("")
	if code := Run(context.Background(), f, append(args, "--format", "json")); code != cli.ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	sum, err := report.ReadJSON(out)
	if err != nil {
		t.Fatalf("reading the report: %v", err)
	}
	return sum
}

// (The descriptors come from a protoset: reflection would take a
// connection of its own.)

// run --reconnect-every 10 -n 100 -c 1: the server sees ten connections,
// and the report ten handshakes, phase by phase (no TLS phase in
// plaintext), with nine reconnects.
func TestRunReconnectEvery(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	sum := runJSON(t, "run", "--protoset", "../testdata/pulse.protoset", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-n", "100", "-c", "1", "--reconnect-every", "10")
	if got := srv.Connections(); got != 10 {
		t.Errorf("the server accepted %d connections, want 10", got)
	}
	cv := sum.Connectivity
	h := cv.Handshake
	if h == nil || h.Total.Count != 10 || h.Connect == nil || h.Connect.Count != 10 || h.HTTP2 == nil || h.HTTP2.Count != 10 {
		t.Fatalf("handshake %+v, want 10 of total, connect and http2", h)
	}
	if h.TLS != nil {
		t.Errorf("a TLS phase in plaintext: %+v", h.TLS)
	}
	if cv.Connects != 10 || cv.Reconnects != 9 || cv.Dials == nil || cv.Dials.Attempts != 10 {
		t.Errorf("connects %d, reconnects %d, dials %+v; want 10, 9, 10 attempts", cv.Connects, cv.Reconnects, cv.Dials)
	}
	if sum.Count != 100 || sum.Errors != 0 {
		t.Errorf("%d calls, %d errors; want 100 OK", sum.Count, sum.Errors)
	}
}

// Over TLS every new connection's TLS handshake is a phase of its own.
func TestRunReconnectEveryTLS(t *testing.T) {
	t.Parallel()
	certs, files := testserver.TestCerts(t, t.TempDir())
	srv := testserver.Start(t, testserver.WithTLS(certs, false))
	sum := runJSON(t, "run", "--protoset", "../testdata/pulse.protoset", "--cacert", files.CA, srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-n", "12", "-c", "2", "--reconnect-every", "4")
	if got := srv.Connections(); got != 3 {
		t.Errorf("the server accepted %d connections, want 3", got)
	}
	h := sum.Connectivity.Handshake
	if h == nil || h.TLS == nil || h.TLS.Count != 3 || h.Total.Count != 3 {
		t.Fatalf("handshake %+v, want 3 TLS handshakes of 3", h)
	}
	if h.TLS.Max <= 0 || h.TLS.Max > h.Total.Max {
		t.Errorf("TLS max %s beyond the total's %s", h.TLS.Max, h.Total.Max)
	}
}

// --reconnect-every below 0 is refused before anything is dialed.
func TestRunReconnectEveryNegative(t *testing.T) {
	t.Parallel()
	f, _, errOut := testFactory("")
	code := Run(context.Background(), f, []string{"run", "--plaintext", "127.0.0.1:1", "a.B/C", "-n", "1", "--reconnect-every", "-1"})
	if code != cli.ExitUsage || !strings.Contains(errOut.String(), "--reconnect-every must be 1 or more") {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, cli.ExitUsage, errOut)
	}
}
