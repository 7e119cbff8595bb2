package report

import (
	"slices"
	"strings"

	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// redacted replaces the value of a secret header in reports.
const redacted = "REDACTED"

// RedactOptions returns o with the values of secret headers replaced, so a
// report can be shared without the credentials the run used: keys that
// look secret (secretHeader) and the keys listed in o.Metadata.Redact, in
// any case; and the target's user information (RedactTarget). o's slices
// are not modified.
func RedactOptions(o plan.Options) plan.Options {
	o.Target.Addr = RedactTarget(o.Target.Addr)
	listed := o.Metadata.Redact
	o.Metadata.Headers = redactHeaders(o.Metadata.Headers, listed)
	o.Metadata.ReflectHeaders = redactHeaders(o.Metadata.ReflectHeaders, listed)
	o.Metadata.Redact = slices.Clone(listed)
	o.Metadata.LookupEnv = nil
	return o
}

// redactHeaders redacts "key: value" headers (plan.Metadata's form)
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
		} else if word, _, spaced := strings.Cut(strings.TrimSpace(h), " "); !ok && spaced && (secretHeader(word) || listedHeader(word, listed)) {
			h = word + " " + redacted // malformed, but maybe a credential
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

// secretParts are the parts of a key that make it a credential's, when
// the key contains them (x-auth-token, authorization-bin, x-session-id).
var secretParts = []string{"auth", "token", "secret", "password", "passwd", "session", "credential",
	"cookie", "apikey", "api-key", "api_key", "private"}

// secretHeader reports whether a header key names a credential: a key
// containing auth, token, secret, password, passwd, session, credential,
// cookie, apikey or private, or one with "key" (or "pass", "pwd", "sid",
// "jwt") as a word of its own (x-api-key, key, signing.key, x-key-bin).
func secretHeader(key string) bool {
	key = strings.ToLower(strings.TrimSpace(key))
	for _, p := range secretParts {
		if strings.Contains(key, p) {
			return true
		}
	}
	for _, word := range strings.FieldsFunc(key, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		switch word {
		case "key", "pass", "pwd", "sid", "jwt":
			return true
		}
	}
	return false
}
