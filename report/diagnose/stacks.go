package diagnose

import "strings"

// stack is one gRPC server implementation: the names of its own options
// for what the rules find, so that a fix is said in the peer's terms.
type stack struct {
	name string
	// age and grace: the connection age limit and the grace after it.
	age, grace string
	// idle: the idle connection limit.
	idle string
	// pingMin and pingIdle: the least ping interval the server allows, and
	// the switch that allows pings on connections without calls.
	pingMin, pingIdle string
	// strikes says when the server gives up on pings that come too soon;
	// "" for a server with no ping policy.
	strikes string
	// stop is how it stops gracefully.
	stop string
	// idleLate: its idle timer is checked periodically, so it closes
	// between the limit and twice it after the last call.
	idleLate bool
	// idleRearm: its idle timer closes at the limit, but one that fires a
	// moment early re-arms for a whole limit, so a close can come at
	// twice it.
	idleRearm bool
}

// stacks are the gRPC server implementations the diagnosis names options
// for (docs/diagnosis-stacks.md says how each is recognised).
var stacks = map[string]stack{
	"grpc-go": {name: "grpc-go",
		age: "keepalive.ServerParameters.MaxConnectionAge", grace: "keepalive.ServerParameters.MaxConnectionAgeGrace",
		idle:    "keepalive.ServerParameters.MaxConnectionIdle",
		pingMin: "keepalive.EnforcementPolicy.MinTime (5m by default)", pingIdle: "keepalive.EnforcementPolicy.PermitWithoutStream",
		strikes: "grpc-go's server counts a strike for each ping sooner than MinTime (the first ping never strikes) and sends GOAWAY at the third",
		stop:    "GracefulStop"},
	"grpc-java": {name: "grpc-java",
		age: "NettyServerBuilder.maxConnectionAge", grace: "NettyServerBuilder.maxConnectionAgeGrace",
		idle:    "NettyServerBuilder.maxConnectionIdle",
		pingMin: "NettyServerBuilder.permitKeepAliveTime (5m by default)", pingIdle: "NettyServerBuilder.permitKeepAliveWithoutCalls",
		strikes: "grpc-java's KeepAliveEnforcer allows two pings too soon and sends GOAWAY at the third",
		stop:    "Server.shutdown() then awaitTermination"},
	"C-core": {name: "C-core (gRPC C++, Python, Ruby, PHP)",
		age: "the channel arg grpc.max_connection_age_ms", grace: "grpc.max_connection_age_grace_ms",
		idle:    "the channel arg grpc.max_connection_idle_ms",
		pingMin: "the channel arg grpc.http2.min_recv_ping_interval_without_data_ms (5m by default)", pingIdle: "grpc.keepalive_permit_without_calls",
		strikes: "C-core counts a strike for each ping sooner than grpc.http2.min_recv_ping_interval_without_data_ms and sends GOAWAY once the strikes pass grpc.http2.max_ping_strikes (2 by default; 0 turns the limit off)",
		stop:    "server.stop(grace) / Shutdown with a deadline", idleLate: true},
	"grpc-js": {name: "grpc-js (Node.js)",
		age: "the server option grpc.max_connection_age_ms", grace: "grpc.max_connection_age_grace_ms",
		idle:    "the server option grpc.max_connection_idle_ms",
		pingMin: "", pingIdle: "grpc.keepalive_permit_without_calls",
		strikes: "", // grpc-js servers have no ping policy of their own
		// Its idle timer is refreshed when the last call ends: it closes at
		// the limit (500ms gave 499–505ms), or at twice it when the timer
		// fires a millisecond before Date.now() says the limit passed.
		stop: "server.tryShutdown()", idleRearm: true},
	"grpc-dotnet": {name: "grpc-dotnet (Kestrel)",
		age: "", grace: "",
		idle:    "KestrelServerOptions.Limits.KeepAliveTimeout (130s by default)",
		pingMin: "", pingIdle: "",
		stop: "a graceful host shutdown (HostOptions.ShutdownTimeout)"},
	"tonic": {name: "tonic (hyper, Rust)",
		age: "", grace: "",
		idle:    "Server::builder().http2_keepalive_interval / a tower timeout",
		pingMin: "", pingIdle: "",
		stop: "serve_with_shutdown"},
}

// stackOrder lists the stacks named when the implementation is unknown.
var stackOrder = []string{"grpc-go", "grpc-java", "C-core", "grpc-js"}

// option names the implementation's option pick returns for what (a
// "connection age limit"): "grpc-go's keepalive.ServerParameters.MaxConnectionAge",
// or, when the implementation is unknown, the few likely ones: "the
// server's connection age limit (grpc-go: X; grpc-java: Y; C-core: Z)".
func (d *diagnosis) option(what string, pick func(stack) string) string {
	if st, ok := d.stack(); ok {
		if o := pick(st); o != "" {
			return d.peer().Implementation + "'s " + strings.TrimPrefix(o, "the ")
		}
		return "the " + st.name + " server's " + what + " (it has no option of that name)"
	}
	names := d.peer().Likely
	if len(names) == 0 {
		names = stackOrder
	}
	var parts []string
	for _, n := range names {
		if st, ok := stacks[n]; ok && pick(st) != "" {
			parts = append(parts, st.name+": "+strings.TrimPrefix(strings.TrimPrefix(pick(st), "the channel arg "), "the server option "))
		}
	}
	if len(parts) == 0 {
		return "the server's " + what
	}
	return "the server's " + what + " (" + strings.Join(parts, "; ") + ")"
}

// stack is the identified implementation's entry.
func (d *diagnosis) stack() (stack, bool) {
	st, ok := stacks[d.peer().Implementation]
	return st, ok
}

// serverName names the server for people: "the grpc-js (Node.js) server",
// or "the server" when unknown.
func (d *diagnosis) serverName() string {
	if st, ok := d.stack(); ok {
		return "the " + st.name + " server"
	}
	return "the server"
}

// proxyOptions are the options of known intermediaries, by name prefix.
type proxyOptions struct {
	idle, requests, age, read string
}

var proxies = map[string]proxyOptions{
	"nginx": {idle: "keepalive_timeout (75s by default)", requests: "keepalive_requests (1000 by default)",
		age: "keepalive_time (1h by default)", read: "grpc_read_timeout (60s by default)"},
	"haproxy": {idle: "timeout http-keep-alive (or timeout client)", requests: "tune.h2.fe.max-total-streams",
		read: "timeout server"},
	"Envoy": {idle: "common_http_protocol_options.idle_timeout (1h by default)", requests: "common_http_protocol_options.max_requests_per_connection",
		age: "common_http_protocol_options.max_connection_duration", read: "the route timeout (15s by default) or stream_idle_timeout (5m)"},
	"AWS ALB":          {idle: "the load balancer's idle_timeout.timeout_seconds (60s by default)", read: "the idle timeout (60s)"},
	"Google Front End": {idle: "its idle timeout (600s for HTTP/2 to the client)", read: "the backend service timeout (30s by default)"},
	"Cloudflare":       {idle: "its idle timeout (400s)", read: "the proxy read timeout (100s)"},
	"Caddy":            {idle: "servers.timeouts.idle (5m by default)", read: "the reverse_proxy transport's response_header_timeout"},
	"Traefik":          {idle: "respondingTimeouts.idleTimeout (180s by default)", read: "serversTransport forwardingTimeouts.responseHeaderTimeout"},
}

// proxyOpts is the options entry of a named intermediary.
func proxyOpts(name string) (proxyOptions, bool) {
	for k, o := range proxies {
		if strings.HasPrefix(name, k) {
			return o, true
		}
	}
	return proxyOptions{}, false
}
