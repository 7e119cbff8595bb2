package report

import (
	"slices"
	"strings"

	"github.com/grpcpulse/grpcpulse/runner"
)

// redacted replaces the value of a secret header in reports.
const redacted = "REDACTED"

// RedactOptions returns o with the values of secret headers replaced, so a
// report can be shared without the credentials the run used: keys that
// look secret (secretHeader) and the keys listed in o.Metadata.Redact, in
// any case. o's slices are not modified.
func RedactOptions(o runner.Options) runner.Options {
	listed := o.Metadata.Redact
	o.Metadata.Headers = redactHeaders(o.Metadata.Headers, listed)
	o.Metadata.ReflectHeaders = redactHeaders(o.Metadata.ReflectHeaders, listed)
	o.Metadata.Redact = slices.Clone(listed)
	o.Metadata.LookupEnv = nil
	return o
}

// redactHeaders redacts "key: value" headers (conn.Metadata's form)
// whose key looks secret or is one of listed.
func redactHeaders(headers, listed []string) []string {
	if headers == nil {
		return nil
	}
	out := make([]string, len(headers))
	for i, h := range headers {
		key, _, ok := strings.Cut(h, ":")
		if ok && (secretHeader(key) || listedHeader(key, listed)) {
			h = key + ": " + redacted
		}
		out[i] = h
	}
	return out
}

// listedHeader reports whether key is one of listed, ignoring case and
// surrounding spaces (a listed "X-Trace: " form is accepted too).
func listedHeader(key string, listed []string) bool {
	key = strings.TrimSpace(key)
	for _, l := range listed {
		l, _, _ = strings.Cut(l, ":")
		if strings.EqualFold(key, strings.TrimSpace(l)) {
			return true
		}
	}
	return false
}

var (
	secretKeys  = []string{"authorization", "cookie", "set-cookie", "proxy-authorization"}
	secretParts = []string{"token", "secret", "password", "apikey", "api-key", "api_key"}
)

// secretHeader reports whether a header key names a credential: a known
// credential header, a key containing token, secret, password or apikey, or
// one with "key" as a word of its own (x-api-key, key, signing.key).
func secretHeader(key string) bool {
	key = strings.ToLower(strings.TrimSpace(key))
	for _, k := range secretKeys {
		if key == k {
			return true
		}
	}
	for _, p := range secretParts {
		if strings.Contains(key, p) {
			return true
		}
	}
	for _, word := range strings.FieldsFunc(key, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		if word == "key" {
			return true
		}
	}
	return false
}
