package testserver

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
)

// Reflection says which server reflection versions a Server registers.
type Reflection int

const (
	// ReflectionAll registers grpc.reflection.v1 and v1alpha (the default).
	ReflectionAll Reflection = iota
	// ReflectionNone registers no reflection service.
	ReflectionNone
	// ReflectionV1Alpha registers only the older v1alpha service.
	ReflectionV1Alpha
)

type config struct {
	addr          string
	reflection    Reflection
	noHealth      bool
	certs         *Certs
	clientAuth    bool
	serverOptions []grpc.ServerOption
	onCall        []func(fullMethod string, md metadata.MD)
	after         []afterCalls
}

// afterCalls is an AfterCalls option: f, run at the nth Pulse call.
type afterCalls struct {
	n int64
	f func(*Server)
}

// Option configures a Server.
type Option func(*config)

// WithAddr listens on addr instead of 127.0.0.1:0.
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithoutReflection registers no reflection service.
func WithoutReflection() Option { return WithReflection(ReflectionNone) }

// WithoutHealth registers no health service.
func WithoutHealth() Option { return func(c *config) { c.noHealth = true } }

// WithReflection chooses which reflection versions are registered.
func WithReflection(r Reflection) Option { return func(c *config) { c.reflection = r } }

// WithTLS serves TLS with the server certificate of certs. With clientAuth the
// server also demands a client certificate signed by the same CA (mTLS).
func WithTLS(certs *Certs, clientAuth bool) Option {
	return func(c *config) { c.certs, c.clientAuth = certs, clientAuth }
}

// WithKeepalivePolicy sets the server's keepalive enforcement policy (the
// minimum ping interval it tolerates before answering with GOAWAY
// too_many_pings).
func WithKeepalivePolicy(p keepalive.EnforcementPolicy) Option {
	return WithServerOptions(grpc.KeepaliveEnforcementPolicy(p))
}

// WithKeepaliveParams sets MaxConnectionIdle, MaxConnectionAge,
// MaxConnectionAgeGrace and the server's own keepalive pings.
func WithKeepaliveParams(p keepalive.ServerParameters) Option {
	return WithServerOptions(grpc.KeepaliveParams(p))
}

// WithMaxConcurrentStreams limits the streams one connection may have open.
func WithMaxConcurrentStreams(n uint32) Option {
	return WithServerOptions(grpc.MaxConcurrentStreams(n))
}

// WithCallHook calls hook at the start of every call the server receives
// (reflection and health included) with its method and request metadata,
// before the handler runs. Tests use it to see what reached the server and
// to act at a known point of a call.
func WithCallHook(hook func(fullMethod string, md metadata.MD)) Option {
	return func(c *config) { c.onCall = append(c.onCall, hook) }
}

// AfterCalls runs f once, when the nth call of the Pulse service arrives,
// before that call's handler runs (so a Pause there holds that call too).
// f runs on the call's goroutine: what must not wait for the call (Stop,
// GracefulStop) belongs in a goroutine of its own.
func AfterCalls(n int64, f func(s *Server)) Option {
	return func(c *config) { c.after = append(c.after, afterCalls{n, f}) }
}

// WithServerOptions passes any other grpc.ServerOption through.
func WithServerOptions(opts ...grpc.ServerOption) Option {
	return func(c *config) { c.serverOptions = append(c.serverOptions, opts...) }
}
