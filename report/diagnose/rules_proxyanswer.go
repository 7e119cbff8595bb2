package diagnose

import (
	"cmp"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// answerKind is one way an intermediary ends a call in place of the server.
type answerKind struct {
	id, what string
	causes   []event.Cause
	match    func(msg string) bool
	cause    string
	fix      string
}

// answerKinds are the intermediaries' answers, most specific first.
var answerKinds = []answerKind{
	{id: "proxy_timeout_504", what: "HTTP 504 (Gateway Timeout)", causes: []event.Cause{event.CauseHTTP504},
		match: contains("received from server: 504"),
		cause: "An intermediary answered the call itself with HTTP 504: it gave up waiting for the server's response " +
			"(nginx grpc_read_timeout, 60s by default; haproxy timeout server; Envoy's route timeout, 15s by default). " +
			"grpc-go turns it into UNAVAILABLE \"unexpected HTTP status code\". The server may still have done the work.",
		fix: "Raise the intermediary's upstream timeout above the server's slowest response (nginx: grpc_read_timeout " +
			"and grpc_send_timeout in the location; haproxy: timeout server; Envoy: the route's timeout, or " +
			"grpc_timeout_header_max so the client's deadline governs), or make the server answer sooner. Give calls a " +
			"deadline (--timeout) below the proxy's timeout so that the client decides, not the proxy."},
	{id: "proxy_bad_gateway_502", what: "HTTP 502 (Bad Gateway)", causes: []event.Cause{event.CauseHTTP502},
		match: contains("received from server: 502"),
		cause: "An intermediary answered with HTTP 502: it could not reach the server, or the server closed or reset the " +
			"upstream connection (down, refusing, crashed, or a deadline that cancelled the upstream stream).",
		fix: "Check that the backend is up and the proxy's upstream address is right (nginx: the upstream/grpc_pass " +
			"address, its error.log says why; haproxy: the server line and its health checks), and that the proxy " +
			"talks HTTP/2 to it (grpc_pass grpc://, proto h2)."},
	{id: "proxy_unavailable_503", what: "HTTP 503 (Service Unavailable)", causes: []event.Cause{event.CauseHTTP503},
		match: contains("received from server: 503"),
		cause: "An intermediary answered with HTTP 503: it had no healthy backend for the call (all down or ejected by " +
			"health checks), or a limit of its own (connections, rate, circuit breaker) turned the call away.",
		fix: "Check the backends' health as the proxy sees it and its limits (haproxy maxconn, Envoy circuit breakers, " +
			"nginx limit_req/limit_conn); retry idempotent methods on UNAVAILABLE with backoff."},
	{id: "proxy_http_status", what: "an HTTP status instead of a gRPC response", causes: []event.Cause{event.CauseHTTPStatus},
		match: contains("unexpected HTTP status code received from server:"),
		cause: "Something on the path answered with a plain HTTP status instead of a gRPC response: a proxy's own " +
			"error (403, 404, 500...), or a route that does not lead to a gRPC server.",
		fix: "Check the proxy's route for this method (path /package.Service/Method) and that it forwards gRPC " +
			"(nginx grpc_pass, haproxy proto h2)."},
	{id: "stream_reset_internal", what: "RST_STREAM INTERNAL_ERROR", causes: []event.Cause{event.CauseRSTStreamInternal},
		match: contains("RST_STREAM with error code: INTERNAL_ERROR"),
		cause: "Streams were reset with RST_STREAM INTERNAL_ERROR. gRPC servers of every stack end calls with a status " +
			"in trailers instead; an intermediary resets a stream this way when the server was silent on it for its " +
			"read timeout (nginx: grpc_read_timeout, 60s by default; nghttpx: --backend-read-timeout, 1m by default).",
		fix: "Raise the proxy's read timeout above the longest silence of a stream (nginx: grpc_read_timeout 1h; for " +
			"long streams), and have the server send heartbeat messages on long, quiet streams more often than it."},
	{id: "proxy_text_in_stream", what: "a proxy's text inside the gRPC stream",
		match: func(m string) bool { _, ok := textLength(m); return ok },
		cause: "The length in a gRPC message header spells text: the client read the first bytes of a proxy's own " +
			"answer (an HTML error page, an HTTP status line) as a gRPC frame, so a proxy appended its page to the " +
			"gRPC body, typically after it timed out a stream that had gone silent, or answered in HTTP/1.",
		fix: "Find the proxy on the path that writes its own pages into gRPC streams and raise its timeout above the " +
			"longest silence of a stream (nginx grpc_read_timeout, haproxy timeout server, Envoy stream_idle_timeout, " +
			"a cloud load balancer's backend timeout), or have the server send heartbeat messages more often than it; " +
			"make sure the proxy speaks HTTP/2 gRPC end to end (grpc_pass, proto h2)."},
	{id: "stream_cut_no_trailers", what: "streams ended without trailers", causes: []event.Cause{event.CauseNoTrailers, event.CauseRSTStreamCancel},
		match: func(m string) bool {
			return strings.Contains(m, "without sending trailers") || strings.Contains(m, "RST_STREAM with error code: CANCEL")
		},
		cause: "Streams ended without gRPC trailers, or with RST_STREAM CANCEL: an intermediary cut them. haproxy " +
			"(mode http) ends a stream silent for timeout server this way (empty DATA with END_STREAM, then RST_STREAM " +
			"CANCEL).",
		fix: "Raise the proxy's timeout above the longest silence of a stream (haproxy: timeout server, and timeout " +
			"tunnel for long streams; Envoy: stream_idle_timeout), and have the server send heartbeat messages on long, " +
			"quiet streams more often than it."},
}

// lengthRE finds the lengths of grpc-go's "received message larger than
// max (N vs. M)".
var lengthRE = regexp.MustCompile(`larger than max \((\d+) vs\. \d+\)`)

// textLength reports the text a message's received length spells when its
// four bytes are printable ASCII: 558124867 is 0x21444F43, "!DOC" (the
// flag byte took the "<" of "<!DOCTYPE").
func textLength(msg string) (string, bool) {
	m := lengthRE.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	n, err := strconv.ParseUint(m[1], 10, 32)
	if err != nil {
		return "", false
	}
	b := []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	letters := 0
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return "", false
		}
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			letters++
		}
	}
	if letters < 2 {
		return "", false
	}
	return string(b), true
}

func contains(s string) func(string) bool {
	return func(m string) bool { return strings.Contains(m, s) }
}

// proxyAnswered: an intermediary ended calls in place of the server (an
// HTTP error status, a stream reset, a stream cut without trailers).
func proxyAnswered(d *diagnosis) []report.Finding {
	var out []report.Finding
	for _, k := range answerKinds {
		if f, ok := d.answerFinding(k); ok {
			out = append(out, f)
		}
	}
	return out
}

func (d *diagnosis) answerFinding(k answerKind) (report.Finding, bool) {
	var n, deadline int64
	var lo, hi time.Duration
	var texts []string
	var sample string
	for _, e := range d.s.ErrorsByMessage {
		if !k.match(e.Shown()) || d.claimedEarlier(k, e.Shown()) {
			continue
		}
		if d.serverDeadlineCancel(e) {
			deadline += e.Count
			continue
		}
		if n == 0 {
			sample = e.Shown()
		}
		n += e.Count
		texts = append(texts, e.Shown())
		if e.MaxDuration > 0 {
			if lo == 0 || e.MinDuration < lo {
				lo = e.MinDuration
			}
			hi = max(hi, e.MaxDuration)
		}
	}
	n = max(n, d.failed(k.causes...)-deadline)
	if n == 0 {
		return report.Finding{}, false
	}
	proxy := cmp.Or(d.proxyName(texts...), d.peer().Intermediary)
	ev := []report.Evidence{{Name: "calls ended by it", Value: fmt.Sprintf("%d of %d (%s)", n, d.s.Count, report.Percent(n, d.s.Count))}}
	if sample != "" {
		ev = append(ev, report.Evidence{Name: "message", Value: report.Printable(sample, true)})
	}
	if proxy != "" {
		ev = append(ev, report.Evidence{Name: "intermediary", Value: proxy})
	}
	who := "An intermediary"
	if proxy != "" {
		who = "The intermediary (" + proxy + ")"
	}
	f := report.Finding{ID: k.id, Evidence: ev, Cause: proxyCause(k, proxy), Fix: proxyFix(k, proxy),
		Title: fmt.Sprintf("%s ended %s with %s instead of the server", who, callsText(n), k.what)}
	if text, ok := textLength(sample); ok {
		f.Title = fmt.Sprintf("%s wrote its own text into %s: the gRPC length read was the bytes %q", who, callsText(n), text)
		f.Evidence = append(f.Evidence, report.Evidence{Name: "length read", Value: fmt.Sprintf("%s = %q in ASCII", lengthRE.FindStringSubmatch(sample)[1], text)})
	}
	if hi > 0 {
		v := report.FormatDuration(lo)
		if hi != lo {
			v = fmt.Sprintf("from %s to %s", report.FormatDuration(lo), report.FormatDuration(hi))
		}
		f.Evidence = append(f.Evidence, report.Evidence{Name: "duration of these calls", Value: v})
	}
	if hi >= idleFloor && clustered(lo, hi) {
		x := (lo + hi) / 2
		f.Title += fmt.Sprintf(", each after ~%s: a timeout of ~%s", report.Approx(x), report.Approx(x))
		f.Cause += fmt.Sprintf(" These calls all lasted ~%s: the intermediary's timer is about that.", report.Approx(x))
		if k.id == "proxy_unavailable_503" {
			f.Title += ", not a missing backend"
			f.Cause = fmt.Sprintf("An intermediary answered with HTTP 503, each time after the same ~%s: it waited that "+
				"long for the backend and gave up. That is an upstream timeout (connecting to the backend, or waiting in "+
				"its queue for a free one), not \"no healthy backend\", which a proxy answers at once. Envoy answers 503 "+
				"\"upstream connect error or disconnect/reset before headers\" when its cluster connect_timeout runs out; "+
				"haproxy 503 after timeout connect (with its retries) or timeout queue.", report.Approx(x))
			f.Fix = fmt.Sprintf("Find why the backend does not accept or answer within ~%s (down, overloaded, a "+
				"firewall dropping the proxy's SYNs), and check the proxy's timer of that length (Envoy: the cluster's "+
				"connect_timeout; haproxy: timeout connect, timeout queue; nginx: grpc_connect_timeout).", report.Approx(x))
		}
		if d.s.Kind.Streaming() {
			f.Cause += " For streams the timer runs from the last message, so it may be somewhat shorter than the streams lasted."
		}
		if t := d.s.Options.Call.Timeout; t > 0 && clustered(min(t, x), max(t, x)) {
			f.Cause += fmt.Sprintf(" That is also the client's deadline (%s), which grpc-go sends along "+
				"(grpc-timeout): the proxy may have applied the client's own deadline.", report.FormatDuration(t))
		}
	}
	f.Evidence = append(f.Evidence, d.serverLatencyEvidence(n)...)
	d.byFailures(&f, n)
	if f.Severity == report.SeverityInfo {
		f.Severity = report.SeverityWarn
	}
	return f, true
}

// serverDeadlineCancel reports whether e's calls are the server's own end
// of the client's deadline, not an intermediary's: grpc-go servers reset a
// stream with RST_STREAM CANCEL when the grpc-timeout the client sent
// passes, often just before the client's own timer fires, so with no
// intermediary seen, CANCELs that came at the --timeout or later are it.
func (d *diagnosis) serverDeadlineCancel(e report.ErrorCount) bool {
	t := d.s.Options.Call.Timeout
	return t > 0 && e.MinDuration >= t-t/10 && d.peer().Intermediary == "" &&
		strings.Contains(e.Shown(), "RST_STREAM with error code: CANCEL")
}

// claimedEarlier reports whether msg belongs to a kind listed before k (a
// 504 message also says "unexpected HTTP status code").
func (d *diagnosis) claimedEarlier(k answerKind, msg string) bool {
	for _, o := range answerKinds {
		if o.id == k.id {
			return false
		}
		if o.match(msg) {
			return true
		}
	}
	return false
}

// serverLatencyEvidence compares with the server's own latency where the
// run knows it: the calls that got through.
func (d *diagnosis) serverLatencyEvidence(failed int64) []report.Evidence {
	if d.s.OK == 0 {
		return []report.Evidence{{Name: "server's own latency", Value: "unknown: no call got through (run against the " +
			"server's own address to measure it)"}}
	}
	if h := d.s.Latency; h != nil && h.Count > 0 && d.s.OK*2 > d.s.Count {
		return []report.Evidence{{Name: "latency of all calls", Value: fmt.Sprintf("p50 %s, p99 %s (%d of %d succeeded)",
			report.FormatDuration(h.P50), report.FormatDuration(h.P99), d.s.OK, d.s.Count)}}
	}
	return []report.Evidence{{Name: "calls that succeeded", Value: fmt.Sprintf("%d of %d", d.s.OK, d.s.Count)}}
}

// proxyFixes are answers' fixes in a known intermediary's own terms, by
// answer id and the intermediary's name as identified (its first word).
var proxyFixes = map[string]map[string]string{
	"proxy_bad_gateway_502": {
		"nghttpx": "Check that the backend is up and nghttpx's --backend address (host,port;;proto=h2 for gRPC) is right; nghttpx's error log says why it gave up on it.",
		"envoy":   "Check the cluster's endpoints and health as Envoy sees them (/clusters on the admin port) and that the cluster speaks HTTP/2 to the backend (http2_protocol_options / typed_extension_protocol_options).",
		"nginx":   "Check that the backend is up and the upstream/grpc_pass address is right (grpc_pass grpc://...); nginx's error.log says why.",
		"haproxy": "Check the backend's server line and its health checks, and that it talks HTTP/2 to the server (proto h2).",
		"caddy":   "Check that the backend is up and the reverse_proxy upstream is right (h2c://host:port for a plaintext gRPC backend; over TLS, transport http { versions 2 }); Caddy's log says why it gave up on it (its dial_timeout is 3s by default).",
	},
	"proxy_timeout_504": {
		"envoy": "Raise the route's timeout (15s by default) above the server's slowest response, or set grpc_timeout_header_max so the client's deadline governs; give calls a deadline (--timeout) below it.",
		"nginx": "Raise grpc_read_timeout and grpc_send_timeout in the location above the server's slowest response; give calls a deadline (--timeout) below them.",
		"caddy": "Raise (or remove) read_timeout and response_header_timeout in the reverse_proxy's transport http block above the server's slowest response or longest silence of a stream; give calls a deadline (--timeout) below them.",
	},
	"stream_reset_internal": {
		"nghttpx": "Raise nghttpx's --backend-read-timeout (1m by default) above the longest silence of a stream, or have the server send heartbeat messages more often than it.",
		"envoy":   "Raise the route's timeout and stream_idle_timeout above the longest silence of a stream, or have the server send heartbeat messages more often than them.",
	},
}

// proxyCauses are answers' causes in a known intermediary's own terms, as
// proxyFixes.
var proxyCauses = map[string]map[string]string{
	"proxy_timeout_504": {
		"caddy": "Caddy answered the call itself with HTTP 504: its reverse_proxy gave up waiting for the backend (read_timeout or response_header_timeout of the transport http block; Caddy has neither by default, so one is set). grpc-go turns it into UNAVAILABLE \"unexpected HTTP status code\". The server may still have done the work.",
	},
	"stream_reset_internal": {
		"nghttpx": "Streams were reset with RST_STREAM INTERNAL_ERROR by nghttpx: gRPC servers of every stack end calls with a status in trailers instead, and nghttpx resets a stream this way when its backend was silent on it for --backend-read-timeout (1m by default).",
		"nginx":   "Streams were reset with RST_STREAM INTERNAL_ERROR by nginx: gRPC servers of every stack end calls with a status in trailers instead, and nginx resets a stream this way when the server was silent on it for grpc_read_timeout (60s by default).",
	},
}

// proxyFix is k's fix, in the terms of proxy when it is known.
func proxyFix(k answerKind, proxy string) string {
	return inProxyTerms(proxyFixes, k.id, proxy, k.fix)
}

// proxyCause is k's cause, in the terms of proxy when it is known.
func proxyCause(k answerKind, proxy string) string {
	return inProxyTerms(proxyCauses, k.id, proxy, k.cause)
}

// inProxyTerms is table's text for id and proxy (by its first word, as
// identified), else general.
func inProxyTerms(table map[string]map[string]string, id, proxy, general string) string {
	name, _, _ := strings.Cut(strings.ToLower(proxy), "/")
	name, _, _ = strings.Cut(name, " ")
	if text := table[id][name]; text != "" {
		return text
	}
	return general
}

// ProxyAnswer explains an error text in which an intermediary answered in
// place of the server (an HTTP status instead of gRPC, a stream reset or
// cut): what came, why, and the fix; ok is false for any other text.
func ProxyAnswer(msg string) (what, cause, fix string, ok bool) {
	for _, k := range answerKinds {
		if k.match(msg) {
			return k.what, k.cause, k.fix, true
		}
	}
	return "", "", "", false
}
