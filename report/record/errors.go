package record

import (
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
)

// Error messages are grouped by code and normalised message: the parts that
// change from call to call (addresses, ports, pointers, ids, sizes, times)
// are replaced by placeholders, so that one cause makes one line of the
// report whatever ephemeral port or request id each failure carried.
var normalizers = []struct {
	re   *regexp.Regexp
	with func(string) string
}{
	// UUIDs and request ids before anything could eat their parts.
	{regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), constant("UUID")},
	// Pointers and other 0x numbers.
	{regexp.MustCompile(`\b0[xX][0-9a-fA-F]+\b`), constant("0xHEX")},
	// [IPv6]:port and [IPv6].
	{regexp.MustCompile(`\[[0-9A-Za-z:.%_-]+\](?::\d+)?`), constant("ADDR")},
	// IPv4 with or without port.
	{regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b`), constant("ADDR")},
	// Bare IPv6 (checked by net.ParseIP: "a:b:c" text is left alone).
	{regexp.MustCompile(`[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[\w.]+)?`), ipv6},
	// host:port keeps the host, which names a backend, and drops the port.
	{regexp.MustCompile(`\b([A-Za-z][\w.-]*):\d{1,5}\b`), hostPort},
	// Long hex runs with a digit in them: trace ids, hashes.
	{regexp.MustCompile(`\b[0-9a-fA-F]{12,}\b`), hexRun},
	// Decimal fractions (times, sizes, ratios) and numbers of 4 or more
	// digits; short numbers (HTTP status 503, code 14) stay, and so do
	// versions ("nginx/1.22.1", "HTTP/2.0", "v1.85.0"), which name software.
	{regexp.MustCompile(`(?:/|\bv)\d+(?:\.\d+)+|\b\d+\.\d+|\b\d{4,}\b`), number},
}

func constant(s string) func(string) string { return func(string) string { return s } }

func number(m string) string {
	if m[0] == '/' || m[0] == 'v' {
		return m
	}
	return "N"
}

func ipv6(m string) string {
	ip, _, _ := strings.Cut(m, "%")
	if strings.Count(ip, ":") >= 2 && net.ParseIP(ip) != nil {
		return "ADDR"
	}
	return m
}

var hostPortRE = regexp.MustCompile(`^([A-Za-z][\w.-]*):\d{1,5}$`)

func hostPort(m string) string { return hostPortRE.ReplaceAllString(m, "$1:PORT") }

func hexRun(m string) string {
	if strings.ContainsAny(m, "0123456789") {
		return "HEX"
	}
	return m
}

// normalizeMessage returns msg with its volatile parts replaced, e.g.
// "dial tcp 127.0.0.1:43211: connect: connection refused" becomes
// "dial tcp ADDR: connect: connection refused".
func normalizeMessage(msg string) string {
	msg = oneLine(msg)
	for _, n := range normalizers {
		msg = n.re.ReplaceAllStringFunc(msg, n.with)
	}
	return strings.TrimSpace(msg)
}

var (
	htmlTag    = regexp.MustCompile(`<[^>]*>`)
	whitespace = regexp.MustCompile(`\s+`)
)

// oneLine writes a status message on one clean line: grpc-go appends the
// body of a non-gRPC answer (a proxy's HTML error page) after "\ndata: ",
// quoted. The body is unquoted and stripped of its HTML tags, whitespace
// runs become one space, and what control characters remain are escaped.
func oneLine(msg string) string {
	if i := strings.Index(msg, "data: \""); i >= 0 {
		if body, err := strconv.Unquote(msg[i+len("data: "):]); err == nil {
			if strings.Contains(body, "</") {
				body = htmlTag.ReplaceAllString(body, " ")
			}
			msg = msg[:i] + "data: \"" + strings.TrimSpace(whitespace.ReplaceAllString(body, " ")) + "\""
		}
	}
	return report.Printable(whitespace.ReplaceAllString(msg, " "), true)
}
