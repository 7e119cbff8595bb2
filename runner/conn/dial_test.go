package conn

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func certFiles(t *testing.T) (*testserver.Certs, testserver.CertFiles) {
	t.Helper()
	return testserver.TestCerts(t, t.TempDir())
}

// freeAddr returns an address on which nothing listens, held for the test
// so that no server started meanwhile takes its port.
func freeAddr(t *testing.T) string {
	t.Helper()
	return testserver.ClosedAddr(t)
}

// silentAddr accepts connections and never says a word.
func silentAddr(t *testing.T) string {
	t.Helper()
	return silentAddrFunc(t, func() {})
}

// silentAddrFunc is silentAddr calling accepted after each connection it
// accepts.
func silentAddrFunc(t *testing.T, accepted func()) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); lis.Close() })
	go func() {
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			accepted()
			go func() { <-done; conn.Close() }()
		}
	}()
	return lis.Addr().String()
}

func TestDial(t *testing.T) {
	t.Parallel()
	certs, files := certFiles(t)
	plain := testserver.Start(t)
	tlsSrv := testserver.Start(t, testserver.WithTLS(certs, false))
	mtlsSrv := testserver.Start(t, testserver.WithTLS(certs, true))
	http1 := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(http1.Close)

	tests := []struct {
		name   string
		target plan.Target
		want   event.Cause // "" means the dial succeeds
	}{
		{"plaintext", plan.Target{Addr: plain.Addr(), Plaintext: true}, ""},
		{"tls with CA", plan.Target{Addr: tlsSrv.Addr(), CACert: files.CA}, ""},
		{"tls insecure", plan.Target{Addr: tlsSrv.Addr(), Insecure: true}, ""},
		{"tls by name", plan.Target{Addr: tlsSrv.Addr(), CACert: files.CA, Authority: "localhost"}, ""},
		{"mtls", plan.Target{Addr: mtlsSrv.Addr(), CACert: files.CA, Cert: files.ClientCert, Key: files.ClientKey}, ""},
		{"unknown CA", plan.Target{Addr: tlsSrv.Addr()}, event.CauseCertificate},
		{"wrong name", plan.Target{Addr: tlsSrv.Addr(), CACert: files.CA, Authority: "example.com"}, event.CauseCertificate},
		{"tls to plaintext", plan.Target{Addr: plain.Addr()}, event.CauseServerIsPlaintext},
		{"tls insecure to plaintext", plan.Target{Addr: plain.Addr(), Insecure: true}, event.CauseServerIsPlaintext},
		{"plaintext to tls", plan.Target{Addr: tlsSrv.Addr(), Plaintext: true}, event.CauseServerIsTLS},
		{"mtls without client cert", plan.Target{Addr: mtlsSrv.Addr(), CACert: files.CA}, event.CauseClientCert},
		{"refused", plan.Target{Addr: freeAddr(t), Plaintext: true}, event.CauseRefused},
		{"http1 plaintext", plan.Target{Addr: http1.Listener.Addr().String(), Plaintext: true}, event.CauseNotHTTP2},
		{"http1 tls", plan.Target{Addr: http1.Listener.Addr().String()}, event.CauseNotHTTP2},
		{"silent", plan.Target{Addr: silentAddr(t), Plaintext: true, ConnectTimeout: 300 * time.Millisecond}, event.CauseConnectTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.target.ConnectTimeout == 0 {
				tt.target.ConnectTimeout = 10 * time.Second
			}
			cc, err := Dial(context.Background(), tt.target)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				cc.Close()
				return
			}
			var de *DialError
			if !errors.As(err, &de) {
				t.Fatalf("Dial error = %v, want a *DialError", err)
			}
			if de.Cause != tt.want {
				t.Fatalf("cause = %s, want %s; error:\n%v", de.Cause, tt.want, err)
			}
			if de.Hint() == "" && tt.want != event.CauseOther {
				t.Errorf("no hint for %s", tt.want)
			}
		})
	}
}

func TestDialCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Dial(ctx, plan.Target{Addr: silentAddr(t), Plaintext: true, ConnectTimeout: 10 * time.Second})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// Ctrl-C while Dial waits for a silent server ends the wait at once.
func TestDialCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := silentAddrFunc(t, cancel) // cancel once the connection is accepted
	_, err := Dial(ctx, plan.Target{Addr: addr, Plaintext: true, ConnectTimeout: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestTargetValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target plan.Target
		ok     bool
	}{
		{"plain", plan.Target{Addr: "a:1", Plaintext: true}, true},
		{"tls files", plan.Target{Addr: "a:1", CACert: "ca", Cert: "c", Key: "k"}, true},
		{"no addr", plan.Target{Plaintext: true}, false},
		{"plaintext and cacert", plan.Target{Addr: "a:1", Plaintext: true, CACert: "ca"}, false},
		{"plaintext and insecure", plan.Target{Addr: "a:1", Plaintext: true, Insecure: true}, false},
		{"cert without key", plan.Target{Addr: "a:1", Cert: "c"}, false},
		{"negative timeout", plan.Target{Addr: "a:1", ConnectTimeout: -1}, false},
		{"negative size", plan.Target{Addr: "a:1", MaxMsgSize: -1}, false},
		{"no port", plan.Target{Addr: "127.0.0.1"}, false},
		{"bad port", plan.Target{Addr: "127.0.0.1:99999"}, false},
		{"name port", plan.Target{Addr: "localhost:http"}, false},
		{"ipv6", plan.Target{Addr: "[::1]:50051"}, true},
		{"dns uri", plan.Target{Addr: "dns:///localhost:50051"}, true},
		{"unix uri", plan.Target{Addr: "unix:///tmp/s.sock"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.target.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestDialBadFiles(t *testing.T) {
	t.Parallel()
	_, files := certFiles(t)
	for _, target := range []plan.Target{
		{Addr: "127.0.0.1:1", CACert: "/nonexistent/ca.pem"},
		{Addr: "127.0.0.1:1", CACert: files.ClientKey},
		{Addr: "127.0.0.1:1", Cert: files.ClientCert, Key: "/nonexistent/key.pem"},
	} {
		if _, err := Dial(context.Background(), target); err == nil {
			t.Errorf("Dial(%+v) succeeded", target)
		}
	}
}
