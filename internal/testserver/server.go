package testserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	_ "google.golang.org/grpc/encoding/gzip" // a gzip request is read, and answered in gzip
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// Server is a running test server. Its methods are safe for concurrent use.
type Server struct {
	grpc     *grpc.Server
	listener net.Listener
	pulse    *pulseService
	certs    *Certs
	accepted atomic.Int64 // TCP connections accepted
	done     chan struct{}
	serveErr error
}

// New starts a Server and returns once it accepts connections.
func New(opts ...Option) (*Server, error) {
	cfg := config{addr: "127.0.0.1:0"}
	for _, o := range opts {
		o(&cfg)
	}
	serverOpts := append([]grpc.ServerOption(nil), cfg.serverOptions...)
	var s *Server // the hooks below run only once it is set
	hooks := cfg.onCall
	for _, a := range cfg.after {
		var count atomic.Int64
		hooks = append(hooks, func(method string, _ metadata.MD) {
			if strings.HasPrefix(method, "/"+pulsepb.Pulse_ServiceDesc.ServiceName+"/") && count.Add(1) == a.n {
				a.f(s)
			}
		})
	}
	if len(hooks) > 0 {
		run := func(method string, ctx context.Context) {
			md, _ := metadata.FromIncomingContext(ctx)
			for _, h := range hooks {
				h(method, md)
			}
		}
		serverOpts = append(serverOpts,
			grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
				run(info.FullMethod, ctx)
				return h(ctx, req)
			}),
			grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
				run(info.FullMethod, ss.Context())
				return h(srv, ss)
			}))
	}
	if cfg.certs != nil {
		tlsConfig, err := cfg.certs.ServerConfig(cfg.clientAuth)
		if err != nil {
			return nil, err
		}
		serverOpts = append(serverOpts, grpc.Creds(credentials.NewTLS(tlsConfig)))
	}
	lis, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("testserver: listen on %s: %w", cfg.addr, err)
	}
	s = &Server{
		grpc:     grpc.NewServer(serverOpts...),
		listener: lis,
		pulse:    &pulseService{},
		certs:    cfg.certs,
		done:     make(chan struct{}),
	}
	lis = countingListener{lis, &s.accepted}
	s.listener = lis
	pulsepb.RegisterPulseServer(s.grpc, s.pulse)
	var hs *health.Server
	if !cfg.noHealth {
		hs = health.NewServer()
		healthpb.RegisterHealthServer(s.grpc, hs)
	}
	switch cfg.reflection {
	case ReflectionAll:
		reflection.Register(s.grpc)
	case ReflectionV1Alpha:
		reflectionv1alpha.RegisterServerReflectionServer(s.grpc,
			reflection.NewServer(reflection.ServerOptions{Services: s.grpc}))
	}
	if hs != nil {
		// Each service it serves is SERVING by name, as a real server's
		// health says ("", the server as a whole, is SERVING already).
		for name := range s.grpc.GetServiceInfo() {
			hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
		}
	}
	go func() {
		err := s.grpc.Serve(lis)
		if errors.Is(err, grpc.ErrServerStopped) {
			err = nil
		}
		s.serveErr = err
		close(s.done)
	}()
	return s, nil
}

// TB is the part of testing.TB that Start needs (kept small so that the
// binary does not link the testing package).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start is New for tests: it fails the test on error and stops the server
// when the test ends.
func Start(t TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("start test server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Addr is the address the server listens on, as host:port.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Connections counts the TCP connections the server has accepted.
func (s *Server) Connections() int64 { return s.accepted.Load() }

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// Certs returns the certificates the server was started with, or nil.
func (s *Server) Certs() *Certs { return s.certs }

// Calls returns how many calls of the Pulse method (short name: "Unary",
// "ServerStream", "ClientStream" or "Bidi") the server has received.
func (s *Server) Calls(method string) int64 { return s.pulse.calls(method) }

// Pause makes the Pulse methods hold every call (new ones and those about to
// start) until Resume, as a server stalled by a GC pause or an overloaded
// CPU would. Calls already answering are not held.
func (s *Server) Pause() {
	gate := make(chan struct{})
	s.pulse.paused.CompareAndSwap(nil, &gate) // a second Pause keeps the first gate
}

// Resume lets held calls go on.
func (s *Server) Resume() {
	if gate := s.pulse.paused.Swap(nil); gate != nil {
		close(*gate)
	}
}

// Stop closes the listener and every connection at once. It may be called
// more than once, and while a GracefulStop waits (which it cuts short).
func (s *Server) Stop() {
	s.grpc.Stop()
	<-s.done
}

// GracefulStop stops accepting connections, sends GOAWAY and waits for the
// calls in flight to finish.
func (s *Server) GracefulStop() {
	s.grpc.GracefulStop()
	<-s.done
}

// Wait blocks until the server has stopped and returns why it stopped
// serving (nil after Stop or GracefulStop).
func (s *Server) Wait() error {
	<-s.done
	return s.serveErr
}

// ClientTLS returns a client TLS configuration that trusts the server's CA
// (and presents the client certificate), for tests that dial it directly.
func (s *Server) ClientTLS() (*tls.Config, error) {
	if s.certs == nil {
		return nil, errors.New("testserver: server has no TLS")
	}
	return s.certs.ClientConfig()
}
