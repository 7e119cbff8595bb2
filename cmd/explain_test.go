package cmd

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// httpAnswer is an HTTP/2 (h2c) server that answers every request as a
// proxy does in place of its backend: status and an HTML page.
func httpAnswer(t *testing.T, status int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Protocols: &protocols, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		w.Write([]byte("<html><head><title>" + http.StatusText(status) + "</title></head></html>\r\n"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// A proxy's 502 to the reflection request is explained, not quoted: what
// answered, why, and what to check, without the proxy's HTML.
func TestReflectionProxyAnswer(t *testing.T) {
	t.Parallel()
	addr := httpAnswer(t, http.StatusBadGateway)
	for _, args := range [][]string{
		{"list", "--plaintext", addr},
		{"call", "--plaintext", addr, "grpcpulse.test.v1.Pulse/Unary"},
		{"run", "--plaintext", "-n", "1", addr, "grpcpulse.test.v1.Pulse/Unary"},
	} {
		t.Run(args[0], func(t *testing.T) {
			t.Parallel()
			f, _, errOut := testFactory("")
			if code := Run(context.Background(), f, args); code != cli.ExitError {
				t.Errorf("exit %d, want %d", code, cli.ExitError)
			}
			got := errOut.String()
			for _, want := range []string{"server reflection: " + addr + " answered with HTTP 502 (Bad Gateway), not gRPC",
				"could not reach the server", "Check that the backend is up"} {
				if !strings.Contains(got, want) {
					t.Errorf("stderr does not say %q:\n%s", want, got)
				}
			}
			if strings.Contains(got, "<html>") {
				t.Errorf("stderr quotes the proxy's page:\n%s", got)
			}
		})
	}
}

// Another status keeps its number and name in the explanation.
func TestReflectionProxyStatus(t *testing.T) {
	t.Parallel()
	addr := httpAnswer(t, http.StatusUnauthorized)
	f, _, errOut := testFactory("")
	if code := Run(context.Background(), f, []string{"list", "--plaintext", addr}); code != cli.ExitError {
		t.Errorf("exit %d, want %d", code, cli.ExitError)
	}
	got := errOut.String()
	for _, want := range []string{"answered with an HTTP status instead of a gRPC response, not gRPC (unexpected HTTP status code received from server: 401 (Unauthorized)",
		"Check the proxy's route"} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr does not say %q:\n%s", want, got)
		}
	}
}

// --max-msg-size bounds reflection's answers too: a limit below them is
// named as the cause.
func TestReflectionMaxMsgSize(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	f, _, errOut := testFactory("")
	if code := Run(context.Background(), f, []string{"list", "--plaintext", "--max-msg-size", "100", srv.Addr()}); code != cli.ExitError {
		t.Errorf("exit %d, want %d", code, cli.ExitError)
	}
	if got := errOut.String(); !strings.Contains(got, "received message larger than max") || !strings.Contains(got, "Raise --max-msg-size: it bounds the reflection answers too") {
		t.Errorf("stderr does not name --max-msg-size as the cause:\n%s", got)
	}
}
