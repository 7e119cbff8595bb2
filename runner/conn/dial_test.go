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
)

func certFiles(t *testing.T) (*testserver.Certs, testserver.CertFiles) {
	t.Helper()
	certs, err := testserver.GenerateCerts()
	if err != nil {
		t.Fatal(err)
	}
	files, err := certs.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return certs, files
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
		target Target
		want   Cause // "" means the dial succeeds
	}{
		{"plaintext", Target{Addr: plain.Addr(), Plaintext: true}, ""},
		{"tls with CA", Target{Addr: tlsSrv.Addr(), CACert: files.CA}, ""},
		{"tls insecure", Target{Addr: tlsSrv.Addr(), Insecure: true}, ""},
		{"tls by name", Target{Addr: tlsSrv.Addr(), CACert: files.CA, Authority: "localhost"}, ""},
		{"mtls", Target{Addr: mtlsSrv.Addr(), CACert: files.CA, Cert: files.ClientCert, Key: files.ClientKey}, ""},
		{"unknown CA", Target{Addr: tlsSrv.Addr()}, CauseCertificate},
		{"wrong name", Target{Addr: tlsSrv.Addr(), CACert: files.CA, Authority: "example.com"}, CauseCertificate},
		{"tls to plaintext", Target{Addr: plain.Addr()}, CauseServerIsPlaintext},
		{"tls insecure to plaintext", Target{Addr: plain.Addr(), Insecure: true}, CauseServerIsPlaintext},
		{"plaintext to tls", Target{Addr: tlsSrv.Addr(), Plaintext: true}, CauseServerIsTLS},
		{"mtls without client cert", Target{Addr: mtlsSrv.Addr(), CACert: files.CA}, CauseClientCert},
		{"refused", Target{Addr: freeAddr(t), Plaintext: true}, CauseRefused},
		{"http1 plaintext", Target{Addr: http1.Listener.Addr().String(), Plaintext: true}, CauseNotHTTP2},
		{"http1 tls", Target{Addr: http1.Listener.Addr().String()}, CauseNotHTTP2},
		{"silent", Target{Addr: silentAddr(t), Plaintext: true, ConnectTimeout: 300 * time.Millisecond}, CauseConnectTimeout},
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
			if de.Hint() == "" && tt.want != CauseOther {
				t.Errorf("no hint for %s", tt.want)
			}
		})
	}
}

func TestDialCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Dial(ctx, Target{Addr: silentAddr(t), Plaintext: true, ConnectTimeout: 10 * time.Second})
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
	_, err := Dial(ctx, Target{Addr: addr, Plaintext: true, ConnectTimeout: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestTargetValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target Target
		ok     bool
	}{
		{"plain", Target{Addr: "a:1", Plaintext: true}, true},
		{"tls files", Target{Addr: "a:1", CACert: "ca", Cert: "c", Key: "k"}, true},
		{"no addr", Target{Plaintext: true}, false},
		{"plaintext and cacert", Target{Addr: "a:1", Plaintext: true, CACert: "ca"}, false},
		{"plaintext and insecure", Target{Addr: "a:1", Plaintext: true, Insecure: true}, false},
		{"cert without key", Target{Addr: "a:1", Cert: "c"}, false},
		{"negative timeout", Target{Addr: "a:1", ConnectTimeout: -1}, false},
		{"negative size", Target{Addr: "a:1", MaxMsgSize: -1}, false},
		{"no port", Target{Addr: "127.0.0.1"}, false},
		{"bad port", Target{Addr: "127.0.0.1:99999"}, false},
		{"name port", Target{Addr: "localhost:http"}, false},
		{"ipv6", Target{Addr: "[::1]:50051"}, true},
		{"dns uri", Target{Addr: "dns:///localhost:50051"}, true},
		{"unix uri", Target{Addr: "unix:///tmp/s.sock"}, true},
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
	for _, target := range []Target{
		{Addr: "127.0.0.1:1", CACert: "/nonexistent/ca.pem"},
		{Addr: "127.0.0.1:1", CACert: files.ClientKey},
		{Addr: "127.0.0.1:1", Cert: files.ClientCert, Key: "/nonexistent/key.pem"},
	} {
		if _, err := Dial(context.Background(), target); err == nil {
			t.Errorf("Dial(%+v) succeeded", target)
		}
	}
}
