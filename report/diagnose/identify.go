package diagnose

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
)

// Identify says who answered the run's calls, from what the wire showed:
// the server's SETTINGS (values and order), the server header of its
// responses and of proxies' replies, its GOAWAY habits and the error bodies
// calls got. It is a pure function of s; nil when s holds nothing to tell
// it from (no connection seen).
func Identify(s *report.Summary) *report.Peer {
	if s == nil || s.Connectivity == nil {
		return nil
	}
	c := s.Connectivity
	if len(c.PeerSettings) == 0 && len(c.PeerServers) == 0 && len(c.GoAways) == 0 && len(s.ErrorsByMessage) == 0 {
		return nil
	}
	id := &identity{}
	for _, fp := range byCount(c.PeerSettings) {
		id.settings(fp)
	}
	for _, srv := range byCount(c.PeerServers) {
		id.server(srv)
	}
	for _, reason := range sortedKeys(c.GoAways) {
		id.goAway(reason)
	}
	for _, e := range s.ErrorsByMessage {
		id.text(e.Shown())
	}
	return id.peer()
}

// Diagnose sets s.Peer (Identify) and s.Findings (Findings).
func Diagnose(s *report.Summary) {
	if s == nil {
		return
	}
	s.Peer = Identify(s)
	s.Findings = Findings(s)
}

// identity gathers clues: implementations told for sure, likely ones, the
// intermediary, and what told them.
type identity struct {
	sure, likely []string
	proxy        string
	evidence     []string
}

func (id *identity) add(list *[]string, name, why string) {
	if !slices.Contains(*list, name) {
		*list = append(*list, name)
	}
	if len(id.evidence) < 8 && !slices.Contains(id.evidence, why) {
		id.evidence = append(id.evidence, why)
	}
}

func (id *identity) setProxy(name, why string) {
	if id.proxy == "" || (strings.HasPrefix(name, id.proxy) && len(name) > len(id.proxy)) {
		id.proxy = name // a versioned name ("nginx/1.22.1") beats a bare one
	}
	if len(id.evidence) < 8 && !slices.Contains(id.evidence, why) {
		id.evidence = append(id.evidence, why)
	}
}

// settings reads a SETTINGS fingerprint (the first SETTINGS frame, in
// frame order).
func (id *identity) settings(fp string) {
	shown := fp
	if shown == "" {
		shown = "empty"
	}
	why := "SETTINGS " + shown
	switch {
	case settingsProxy(fp) != "":
		id.setProxy(settingsProxy(fp), why+" ("+settingsProxy(fp)+"'s)")
	case strings.Contains(fp, "INITIAL_WINDOW_SIZE=268435456"):
		id.setProxy("Envoy", why+" (a 256MiB window: Envoy's default)")
	case strings.Contains(fp, "0xfe03="):
		id.add(&id.sure, "C-core", why+" (0xfe03 is C-core's GRPC_ALLOW_TRUE_BINARY_METADATA)")
	case strings.HasPrefix(fp, "MAX_FRAME_SIZE=16384") && !strings.Contains(fp, "ENABLE_CONNECT_PROTOCOL"):
		id.add(&id.sure, "grpc-go", why+" (grpc-go's server opens with MAX_FRAME_SIZE=16384)")
	case fp == "":
		id.add(&id.sure, "grpc-js", why+" (Node.js http2, as grpc-js servers send it)")
	case strings.Contains(fp, "MAX_HEADER_LIST_SIZE=8192") && strings.Contains(fp, "INITIAL_WINDOW_SIZE=1048576"):
		id.add(&id.likely, "grpc-java", why+" (a 1MiB window and 8KiB header list: grpc-java Netty's defaults)")
	default:
		id.evidence = append(id.evidence, why+" (not a known fingerprint)")
	}
}

// serverHeaders maps a server header (its start, lower case) to the
// intermediary or implementation it names.
var serverHeaders = []struct{ prefix, proxy, impl string }{
	{"istio-envoy", "Envoy (Istio)", ""},
	{"envoy", "Envoy", ""},
	{"nginx", "nginx", ""},
	{"openresty", "nginx (OpenResty)", ""},
	{"awselb", "AWS ALB", ""},
	{"cloudflare", "Cloudflare", ""},
	{"google frontend", "Google Front End", ""},
	{"gfe", "Google Front End", ""},
	{"esf", "Google Front End", ""},
	{"caddy", "Caddy", ""},
	{"traefik", "Traefik", ""},
	{"haproxy", "haproxy", ""},
	{"nghttpx", "nghttpx", ""},
	{"microsoft-azure-application-gateway", "Azure Application Gateway", ""},
	{"kestrel", "", "grpc-dotnet"},
}

// server reads a peer_servers key: "envoy", "nginx/1.22.1 HTTP 502", "- HTTP 503".
func (id *identity) server(key string) {
	name, status, _ := strings.Cut(key, " HTTP ")
	if name == "-" {
		return
	}
	why := "server header " + name
	if status != "" {
		why += " on an HTTP " + status + " reply"
	}
	low := strings.ToLower(name)
	for _, h := range serverHeaders {
		if !strings.HasPrefix(low, h.prefix) {
			continue
		}
		if h.impl != "" {
			id.add(&id.sure, h.impl, why)
			return
		}
		proxy := h.proxy
		if h.proxy == "nginx" {
			proxy = name // keeps the version
		}
		id.setProxy(proxy, why)
		return
	}
	id.evidence = append(id.evidence, why+" (not a known one)")
}

// goAway reads a GOAWAY reason ("NO_ERROR max_idle") for the habits of
// the implementations: their debug words.
func (id *identity) goAway(reason string) {
	code, debug, _ := strings.Cut(reason, " ")
	why := "GOAWAY " + reason
	switch {
	case debug == "max_idle" || debug == "graceful_stop":
		id.add(&id.sure, "grpc-go", why+" (grpc-go's debug word)")
	case code == "INTERNAL_ERROR" && (debug == "enter idle" || debug == "max_idle"):
		id.add(&id.sure, "C-core", why+" (C-core's idle filter)")
	case debug == "max_age":
		id.add(&id.likely, "grpc-go", why+" (grpc-go's or grpc-js's debug word)")
		id.add(&id.likely, "grpc-js", why+" (grpc-go's or grpc-js's debug word)")
	}
}

// proxyTexts are words of intermediaries' own error bodies.
var proxyTexts = []struct{ text, proxy string }{
	{"upstream connect error or disconnect/reset before headers", "Envoy"},
	{"no healthy upstream", "Envoy"},
	{"upstream request timeout", "Envoy"},
	{"The server didn't respond in time", "haproxy"},
	{"awselb", "AWS ALB"},
	{"cloudflare", "Cloudflare"},
}

// text reads an error message for a proxy's words.
func (id *identity) text(msg string) {
	if m := nginxVersion.FindString(msg); m != "" && strings.Contains(msg, "unexpected HTTP status") {
		id.setProxy(m, fmt.Sprintf("error body names %s", m))
		return
	}
	for _, p := range proxyTexts {
		if strings.Contains(msg, p.text) {
			id.setProxy(p.proxy, fmt.Sprintf("error body says %q", p.text))
			return
		}
	}
	if strings.Contains(msg, "desc = Too many pings") || strings.HasSuffix(msg, "Too many pings") {
		id.add(&id.sure, "C-core", `status "Too many pings" (C-core's)`)
	}
}

func (id *identity) peer() *report.Peer {
	p := &report.Peer{Implementation: "unknown", Intermediary: id.proxy, Evidence: id.evidence}
	if p.Evidence == nil {
		p.Evidence = []string{}
	}
	switch {
	case len(id.sure) == 1:
		p.Implementation = id.sure[0]
	case len(id.sure) > 1:
		p.Likely = id.sure // clues disagree: several servers, or a proxy's mix
	case id.proxy == "" && len(id.likely) > 0:
		p.Likely = id.likely
	}
	if id.proxy != "" && len(id.sure) == 0 {
		// Behind a proxy the HTTP/2 clues are the proxy's: the backend is
		// not seen.
		p.Likely = nil
	}
	return p
}

// byCount returns m's keys, most frequent first (ties by key).
func byCount(m map[string]int64) []string {
	keys := sortedKeys(m)
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	return keys
}
