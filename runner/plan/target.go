package plan

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultConnectTimeout bounds how long Dial waits for a connection.
const DefaultConnectTimeout = 10 * time.Second

// Target says where to connect and how.
type Target struct {
	// Addr is host:port, or any grpc-go target URI (dns:///host:port, unix:///path).
	Addr string `json:"addr"`
	// Plaintext dials without TLS. TLS with verification is the default.
	Plaintext bool `json:"plaintext"`
	// Insecure skips verification of the server's certificate.
	Insecure bool `json:"insecure"`
	// CACert is a PEM file of CAs to trust instead of the system pool.
	CACert string `json:"cacert,omitempty"`
	// Cert and Key are a PEM client certificate and key, for mutual TLS.
	Cert string `json:"cert,omitempty"`
	Key  string `json:"key,omitempty"`
	// Authority overrides the :authority header and the TLS server name.
	Authority string `json:"authority,omitempty"`
	// ConnectTimeout bounds connection set-up (and, in the commands, each
	// reflection answer); 0 means no limit.
	ConnectTimeout time.Duration `json:"connect_timeout_ns"`
	// MaxMsgSize is the largest message received, in bytes; 0 means grpc-go's 4 MiB.
	MaxMsgSize int `json:"max_msg_size,omitempty"`
	// UserAgent is prepended to grpc-go's user agent.
	UserAgent string `json:"user_agent,omitempty"`
	// Targets are further addresses balanced with Addr (Addr may also be a
	// comma-separated list).
	Targets []string `json:"targets,omitempty"`
	// LBPolicy picks among the addresses: pick_first (grpc-go's default) or
	// round_robin.
	LBPolicy string `json:"lb_policy,omitempty"`
	// Engine is the client that speaks gRPC: EngineGRPC ("" too), grpc-go,
	// or EngineH2, the lean HTTP/2 engine of package runner/h2.
	Engine    string         `json:"engine,omitempty"`
	Keepalive Keepalive      `json:"keepalive"`
	Backoff   ConnectBackoff `json:"backoff"`
	Retry     Retry          `json:"retry"`
	// Files keeps what the files above contain once read (runner/conn's
	// CheckTarget sets it); nil, they are read at each dial.
	Files *Files `json:"-"`
}

// Files is the content of the files a Target names, read once, so that
// every connection of a run uses the same bytes: a FIFO (--cacert
// <(vault read ...)) can be read only once, and a file that changes
// mid-run does not change the run.
type Files struct {
	// ServiceConfig is Retry.ServiceConfig's @file; "" until read.
	ServiceConfig string
	mu            sync.Mutex
	tls           *TLSFiles
}

// TLSFiles is the PEM content of a Target's TLS files (nil: not named).
type TLSFiles struct{ CACert, Cert, Key []byte }

// TLS returns the TLS files' content, which read gives the first time it
// succeeds; later callers wait for a read under way.
func (f *Files) TLS(read func() (*TLSFiles, error)) (*TLSFiles, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tls == nil {
		t, err := read()
		if err != nil {
			return nil, err
		}
		f.tls = t
	}
	return f.tls, nil
}

// Addresses lists the addresses of a target with several (Addr as a comma
// list, plus Targets); nil for a single address or URI, which grpc-go
// resolves itself.
func (t *Target) Addresses() []string {
	if !strings.Contains(t.Addr, ",") && len(t.Targets) == 0 {
		return nil
	}
	var addrs []string
	for _, a := range append(strings.Split(t.Addr, ","), t.Targets...) {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// Validate reports contradictory or impossible settings: all that can be
// told without grpc-go. runner/conn's CheckTarget is Validate plus what
// needs it (the retry codes and the service config the flags build).
func (t *Target) Validate() error {
	switch {
	case t.Addr == "":
		return errors.New("no target address given")
	case t.Addresses() == nil && !isURI(t.Addr) && !IsHostPort(t.Addr):
		return fmt.Errorf("target %q: want host:port (or a gRPC target URI such as dns:///host:port or unix:///path)", RedactTarget(t.Addr))
	case t.LBPolicy != "" && !slices.Contains(lbPolicies, t.LBPolicy):
		return fmt.Errorf("--lb-policy %q: want one of %s", t.LBPolicy, strings.Join(lbPolicies, ", "))
	case t.LBPolicy != "" && t.Retry.ServiceConfig != "":
		return errors.New("--lb-policy and --service-config both set the LB policy; put loadBalancingConfig in the service config")
	case t.Plaintext && (t.Insecure || t.CACert != "" || t.Cert != "" || t.Key != ""):
		return errors.New("--plaintext cannot be combined with --insecure, --cacert, --cert or --key")
	case (t.Cert == "") != (t.Key == ""):
		return errors.New("--cert and --key must be given together")
	case t.ConnectTimeout < 0:
		return errors.New("--connect-timeout must not be negative")
	case t.MaxMsgSize < 0:
		return errors.New("--max-msg-size must not be negative")
	}
	if err := t.checkEngine(); err != nil {
		return err
	}
	for _, a := range t.Addresses() {
		if !IsHostPort(a) {
			return fmt.Errorf("target %q: want host:port for each of several addresses", a)
		}
	}
	for _, v := range []interface{ Validate() error }{&t.Keepalive, &t.Backoff, &t.Retry} {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Notes are settings grpc-go will change, said plainly for reports.
func (t *Target) Notes() []string { return append(t.Keepalive.Notes(), t.Retry.Notes()...) }

// isURI reports whether addr names a resolver scheme (dns:///, unix:, ...),
// which grpc-go parses itself.
func isURI(addr string) bool {
	scheme, _, ok := strings.Cut(addr, ":")
	if !ok || strings.Contains(scheme, ".") {
		return false
	}
	switch scheme {
	case "dns", "unix", "unix-abstract", "passthrough", "ipv4", "ipv6", "xds":
		return true
	}
	return false
}

// IsHostPort reports whether addr is host:port with a port in range; grpc-go
// would silently dial port 443 for a bare host.
func IsHostPort(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" && port == "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 65536
}

// lbPolicies are the load-balancing policies --lb-policy takes.
var lbPolicies = []string{"pick_first", "round_robin"}

// LBPolicies lists the policies --lb-policy takes.
func LBPolicies() []string { return slices.Clone(lbPolicies) }

// The engines that speak gRPC.
const (
	EngineGRPC = "grpc"
	EngineH2   = "h2"
)

// EngineName is t's engine, "grpc" when unset.
func (t *Target) EngineName() string {
	if t.Engine == "" {
		return EngineGRPC
	}
	return t.Engine
}

// checkEngine refuses an unknown engine, and with h2 the settings only
// grpc-go can honour.
func (t *Target) checkEngine() error {
	switch t.EngineName() {
	case EngineGRPC:
		return nil
	case EngineH2:
	default:
		return fmt.Errorf("--engine %q: want grpc or h2", t.Engine)
	}
	r := &t.Retry
	switch {
	case r.ServiceConfig != "":
		return errors.New("--service-config cannot be used with --engine h2: service configs are grpc-go's")
	case r.MaxAttempts > 0:
		return errors.New("--retry-* cannot be used with --engine h2: retry policies are grpc-go's")
	case r.WaitForReady:
		return errors.New("--wait-for-ready cannot be used with --engine h2: it waits on grpc-go's connectivity state")
	case t.LBPolicy != "" || t.Addresses() != nil:
		return errors.New("several targets and --lb-policy cannot be used with --engine h2: it dials one address")
	case isURI(t.Addr):
		return errors.New("--engine h2 needs a host:port target, not a resolver URI: name resolution is grpc-go's")
	}
	return nil
}
