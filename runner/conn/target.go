package conn

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
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
	LBPolicy  string         `json:"lb_policy,omitempty"`
	Keepalive Keepalive      `json:"keepalive"`
	Backoff   ConnectBackoff `json:"backoff"`
	Retry     Retry          `json:"retry"`
}

// AddFlags binds the transport flags (all but Addr, which is positional).
func (t *Target) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&t.Plaintext, "plaintext", false, "connect without TLS")
	fs.BoolVar(&t.Insecure, "insecure", false, "use TLS but skip verification of the server's certificate")
	fs.StringVar(&t.CACert, "cacert", "", "PEM `file` of CA certificates that verify the server (at most 4 MiB)")
	fs.StringVar(&t.Cert, "cert", "", "PEM client certificate `file` (mutual TLS; needs --key; at most 4 MiB)")
	fs.StringVar(&t.Key, "key", "", "PEM client key `file` (mutual TLS; needs --cert; at most 4 MiB)")
	fs.StringVar(&t.Authority, "authority", "", "value of the :authority header, also the TLS server name")
	fs.DurationVar(&t.ConnectTimeout, "connect-timeout", DefaultConnectTimeout, "how long to wait for a connection, and for each reflection answer (0: no limit)")
	fs.IntVar(&t.MaxMsgSize, "max-msg-size", 0, "largest response message in `bytes` (default 4 MiB)")
	fs.StringVar(&t.UserAgent, "user-agent", "", "prepended to the user-agent header")
	fs.StringArrayVar(&t.Targets, "target", nil, "another `host:port` to balance calls over, with ADDR (repeatable)")
	fs.StringVar(&t.LBPolicy, "lb-policy", "", "how calls spread over the addresses: pick_first (default) or round_robin")
	t.Keepalive.AddFlags(fs)
	t.Backoff.AddFlags(fs)
	t.Retry.AddFlags(fs)
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

// Validate reports contradictory or impossible settings.
func (t *Target) Validate() error {
	switch {
	case t.Addr == "":
		return errors.New("no target address given")
	case t.Addresses() == nil && !isURI(t.Addr) && !isHostPort(t.Addr):
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
	for _, a := range t.Addresses() {
		if !isHostPort(a) {
			return fmt.Errorf("target %q: want host:port for each of several addresses", a)
		}
	}
	for _, v := range []interface{ Validate() error }{&t.Keepalive, &t.Backoff, &t.Retry} {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return t.validateServiceConfig()
}

// validateServiceConfig has grpc-go parse the service config the flags
// build (nothing is dialled), so that a bad one is a usage error.
func (t *Target) validateServiceConfig() error {
	sc, err := serviceConfig(t.LBPolicy, &t.Retry)
	if err != nil || sc == "" {
		return err
	}
	cc, err := grpc.NewClient("passthrough:///service-config-check",
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultServiceConfig(sc))
	if err != nil {
		return fmt.Errorf("--service-config: %w", err)
	}
	return cc.Close()
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

// isHostPort reports whether addr is host:port with a port in range; grpc-go
// would silently dial port 443 for a bare host.
func isHostPort(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" && port == "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 65536
}
