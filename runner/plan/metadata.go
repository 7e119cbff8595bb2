package plan

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"unicode"
)

// Metadata is the request metadata given on the command line.
type Metadata struct {
	// Headers ("key: value") go with calls and with reflection requests.
	Headers []string `json:"headers,omitempty"`
	// ReflectHeaders go with reflection requests only.
	ReflectHeaders []string `json:"reflect_headers,omitempty"`
	// Expand replaces ${NAME} in values with the environment variable NAME.
	Expand bool `json:"expand_headers,omitempty"`
	// Redact names header keys (any case) whose values reports must not
	// show, besides the ones that look secret (--redact-header).
	Redact []string `json:"redact_headers,omitempty"`
	// LookupEnv resolves ${NAME}; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool) `json:"-"`
}

// Validate checks the form of every header, so that a malformed one is a
// usage error. Environment references are resolved later, by Call and
// Reflection: an unset variable is a fault of the environment, not of the
// command line.
func (m *Metadata) Validate() error {
	_, err := m.parse(m.allHeaders(), false)
	return err
}

// Call returns the metadata sent with calls, keys in lower case (a
// grpc-go metadata.MD converts from it).
func (m *Metadata) Call() (map[string][]string, error) { return m.parse(m.Headers, m.Expand) }

// Reflection returns the metadata sent with reflection requests.
func (m *Metadata) Reflection() (map[string][]string, error) {
	return m.parse(m.allHeaders(), m.Expand)
}

func (m *Metadata) allHeaders() []string {
	return append(append([]string(nil), m.Headers...), m.ReflectHeaders...)
}

var (
	envRef   = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	validKey = regexp.MustCompile(`^[0-9a-z_.-]+$`)
)

// checkValue refuses what HTTP/2 cannot carry in a header value: anything but
// printable ASCII, unless the key ends in -bin (binary, base64 on the wire).
func checkValue(key, value string) error {
	if strings.HasSuffix(key, "-bin") {
		return nil
	}
	for _, r := range value {
		if r < 0x20 || r > 0x7e {
			return fmt.Errorf("header %q: value has %q; only printable ASCII is allowed (or use a key ending in -bin)", key, r)
		}
	}
	return nil
}

// cutHeader splits 'key: value' at the colon after the key, so that a
// pseudo-header such as ':authority: x' keeps its leading colon (and is
// refused as reserved, not as malformed). The key comes back lower case.
func cutHeader(h string) (key, value string, ok bool) {
	t := strings.TrimSpace(h)
	lead := ""
	if strings.HasPrefix(t, ":") {
		lead, t = ":", t[1:]
	}
	key, value, ok = strings.Cut(t, ":")
	return lead + strings.ToLower(strings.TrimSpace(key)), value, ok
}

// keyPart is what an error may show of a header: its first word, up to a
// ':' or a space, and "..." for the rest. A malformed header may hold a
// credential ("authorization Bearer TOKEN"); errors must not echo it.
func keyPart(h string) string {
	h = strings.TrimSpace(h)
	sep := func(r rune) bool { return r == ':' || unicode.IsSpace(r) }
	i := strings.IndexFunc(h, sep)
	if i < 0 {
		return h
	}
	if i == 0 {
		// A pseudo-header (":authority: x"): its name is the key.
		j := strings.IndexFunc(h[1:], sep)
		if j < 0 {
			return h
		}
		i = j + 1
	}
	return h[:i] + " ..."
}

func (m *Metadata) parse(headers []string, expand bool) (map[string][]string, error) {
	md := map[string][]string{}
	lookup := m.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	for _, h := range headers {
		key, value, ok := cutHeader(h)
		if !ok || key == "" {
			return nil, fmt.Errorf("header %q is not 'key: value'", keyPart(h))
		}
		if strings.HasPrefix(key, ":") || strings.HasPrefix(key, "grpc-") || setByGRPC(key) {
			return nil, fmt.Errorf("header %q: %q is reserved by gRPC%s", keyPart(h), key, reservedHint(key))
		}
		if connectionSpecific(key) {
			return nil, fmt.Errorf("header %q: HTTP/2 forbids connection-specific headers such as %q (RFC 9113, 8.2.2): a server would reset every call", keyPart(h), key)
		}
		if !validKey.MatchString(key) {
			return nil, fmt.Errorf("header %q: a key may only have letters, digits, '-', '_' and '.'", keyPart(h))
		}
		value = strings.TrimSpace(value)
		if expand {
			var missing []string
			value = envRef.ReplaceAllStringFunc(value, func(ref string) string {
				name := envRef.FindStringSubmatch(ref)[1]
				v, found := lookup(name)
				if !found {
					missing = append(missing, name)
				}
				return v
			})
			if len(missing) > 0 {
				return nil, fmt.Errorf("header %q: environment variable %s is not set", key, strings.Join(missing, ", "))
			}
		}
		if err := checkValue(key, value); err != nil {
			return nil, err
		}
		md[key] = append(md[key], value)
	}
	return md, nil
}

// setByGRPC reports a header the client's gRPC stack sets itself (grpc-go
// drops it from metadata, or the server would see two).
func setByGRPC(key string) bool {
	switch key {
	case "content-type", "user-agent", "te", "host":
		return true
	}
	return false
}

// connectionSpecific reports a header HTTP/2 does not carry: a server
// treats a request with one as malformed.
func connectionSpecific(key string) bool {
	switch key {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return true
	}
	return false
}

// reservedHint points to the flag that sets what a reserved key would.
func reservedHint(key string) string {
	switch key {
	case ":authority", "host":
		return "; use --authority"
	case "grpc-timeout":
		return "; use --timeout"
	case "user-agent":
		return "; use --user-agent"
	}
	return ""
}
