package conn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// Dial connects to t and returns once the connection is ready. When it cannot
// connect within t.ConnectTimeout it returns a *DialError naming the cause
// (refused, no answer, TLS/plaintext mismatch, HTTP/1 server, certificate...).
// When ctx is cancelled it returns ctx's error. opts are appended to the dial
// options built from t.
func Dial(ctx context.Context, t plan.Target, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	dialOpts, err := dialOptions(ctx, t)
	if err != nil {
		return nil, err
	}
	cc, err := grpc.NewClient(clientTarget(t), append(dialOpts, opts...)...)
	if err != nil {
		return nil, &DialError{Addr: t.Addr, Cause: event.CauseBadTarget, Err: err}
	}
	waitCtx := ctx
	if t.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, t.ConnectTimeout)
		defer cancel()
	}
	if err := waitReady(waitCtx, cc); err != nil {
		cc.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var de *DialError
		if errors.Is(err, context.DeadlineExceeded) {
			de = classifyTimeout(ctx, t)
		} else {
			de = classifyDial(ctx, t, err)
		}
		if ctx.Err() != nil { // interrupted while probing
			return nil, ctx.Err()
		}
		return nil, de
	}
	return cc, nil
}

// dialOptions returns the grpc-go dial options that t stands for.
func dialOptions(ctx context.Context, t plan.Target) ([]grpc.DialOption, error) {
	creds, err := Credentials(ctx, t)
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if t.Authority != "" {
		opts = append(opts, grpc.WithAuthority(t.Authority))
	}
	if t.MaxMsgSize > 0 {
		opts = append(opts, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(t.MaxMsgSize)))
	}
	if t.UserAgent != "" {
		opts = append(opts, grpc.WithUserAgent(t.UserAgent))
	}
	opts = append(opts, keepaliveOptions(&t.Keepalive)...)
	opts = append(opts, backoffOptions(&t.Backoff)...)
	sc, err := serviceConfig(ctx, &t)
	if err != nil {
		return nil, err
	}
	if sc != "" {
		opts = append(opts, grpc.WithDefaultServiceConfig(sc))
	}
	if t.Retry.WaitForReady {
		opts = append(opts, grpc.WithDefaultCallOptions(grpc.WaitForReady(true)))
	}
	if addrs := t.Addresses(); addrs != nil {
		r := manual.NewBuilderWithScheme(multiScheme)
		state := resolver.State{}
		for _, a := range addrs {
			state.Addresses = append(state.Addresses, resolver.Address{Addr: a})
		}
		r.InitialState(state)
		opts = append(opts, grpc.WithResolvers(r))
	}
	return opts, nil
}

// multiScheme is the scheme of the resolver that serves a target of several
// addresses; each ClientConn gets a resolver of its own.
const multiScheme = "grpcpulse-addresses"

// clientTarget is what grpc.NewClient dials.
func clientTarget(t plan.Target) string {
	if t.Addresses() != nil {
		return multiScheme + ":///" + strings.ReplaceAll(t.Addr, ",", "_")
	}
	return t.Addr
}

// Credentials returns the transport credentials t asks for: plaintext, or
// TLS with its certificates read from their files (a FIFO without a writer
// waits no longer than ctx). Dial uses them; so does a caller that wraps
// them (with Tap) before dialing.
func Credentials(ctx context.Context, t plan.Target) (credentials.TransportCredentials, error) {
	if t.Plaintext {
		return insecure.NewCredentials(), nil
	}
	cfg, err := tlsConfig(ctx, t)
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(cfg), nil
}

// tlsConfig is the client TLS configuration t asks for, its files read
// once when t has Files (CheckTarget), else now.
func tlsConfig(ctx context.Context, t plan.Target) (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: t.Insecure, MinVersion: tls.VersionTLS12}
	read := func() (*plan.TLSFiles, error) { return readTLSFiles(ctx, t) }
	var files *plan.TLSFiles
	var err error
	if t.Files != nil {
		files, err = t.Files.TLS(read)
	} else {
		files, err = read()
	}
	if err != nil {
		return nil, err
	}
	if t.CACert != "" { // an empty file is no CA, not the system's
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(files.CACert) {
			return nil, fmt.Errorf("--cacert %s: no PEM certificate in the file", t.CACert)
		}
	}
	if t.Cert != "" {
		pair, err := tls.X509KeyPair(files.Cert, files.Key)
		if err != nil {
			return nil, fmt.Errorf("--cert/--key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// filesOf is t.Files, made if t has none.
func filesOf(t *plan.Target) *plan.Files {
	if t.Files == nil {
		t.Files = &plan.Files{}
	}
	return t.Files
}

// readTLSFiles reads the TLS files t names.
func readTLSFiles(ctx context.Context, t plan.Target) (*plan.TLSFiles, error) {
	var files plan.TLSFiles
	for _, f := range []struct {
		flag, path string
		into       *[]byte
	}{{"--cacert", t.CACert, &files.CACert}, {"--cert", t.Cert, &files.Cert}, {"--key", t.Key, &files.Key}} {
		if f.path == "" {
			continue
		}
		b, err := readSmallFile(ctx, f.flag, f.path, maxPEMBytes)
		if err != nil {
			return nil, err
		}
		*f.into = b
	}
	return &files, nil
}

// ownCallKey marks the context of a call grpcpulse makes for itself (to
// read a connection's last error), so that attempt counting leaves it out.
type ownCallKey struct{}

// waitReady drives cc to READY. It returns the connection's last error at the
// first TRANSIENT_FAILURE (retrying with backoff would only hide the cause)
// and ctx's error when ctx ends first.
func waitReady(ctx context.Context, cc *grpc.ClientConn) error {
	for {
		state := cc.GetState()
		switch state {
		case connectivity.Ready:
			return nil
		case connectivity.Idle:
			cc.Connect()
		case connectivity.TransientFailure:
			if err := lastError(ctx, cc); err != nil {
				return err
			}
		case connectivity.Shutdown:
			return errors.New("the client connection was closed")
		}
		if !cc.WaitForStateChange(ctx, state) {
			return ctx.Err()
		}
	}
}

// lastError returns why cc's latest connection attempt failed. grpc-go keeps
// that error in the picker of a failed channel, and a fail-fast RPC returns
// it at once, without reaching any server; nil means the channel left
// TRANSIENT_FAILURE in the meantime.
func lastError(ctx context.Context, cc *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, ownCallKey{}, true), time.Second)
	defer cancel()
	err := cc.Invoke(ctx, healthpb.Health_Check_FullMethodName, &healthpb.HealthCheckRequest{}, &healthpb.HealthCheckResponse{},
		grpc.WaitForReady(false)) // fail fast even under --wait-for-ready: the picker holds the error
	if status.Code(err) == codes.Unavailable {
		return err
	}
	return nil
}
