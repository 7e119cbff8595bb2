package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func TestSecretHeader(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"authorization", true},
		{"Authorization", true},
		{" cookie ", true},
		{"set-cookie", true},
		{"proxy-authorization", true},
		{"x-auth-token", true},
		{"x-client-secret", true},
		{"db_password", true},
		{"apikey", true},
		{"x-api-key", true},
		{"x-api_key", true},
		{"key", true},
		{"signing.key", true},
		{"x-key-bin", true},
		{"authorization-bin", true},
		{"x-authorization", true},
		{"auth", true},
		{"x-credentials", true},
		{"passwd", true},
		{"x-session", true},
		{"x-session-id", true},
		{"x-csrf-token-bin", true},
		{"x-jwt", true},
		{"x-pass", true},
		{"private-data-bin", true},
		{"cookie-bin", true},
		{"x-tenant", false},
		{"keyboard-layout", false},
		{"monkey", false},
		{"user-agent", false},
		{"x-request-id", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := secretHeader(tt.key); got != tt.want {
				t.Errorf("secretHeader(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func TestRedactOptions(t *testing.T) {
	in := plan.Options{Metadata: plan.Metadata{
		Headers:        []string{"authorization: Bearer abc", "x-tenant: blue", "X-Api-Key:k", "malformed", "authorization Bearer abc"},
		ReflectHeaders: []string{"cookie: a=b"},
	}}
	orig := slices.Clone(in.Metadata.Headers)
	got := RedactOptions(in)
	wantHeaders := []string{"authorization: REDACTED", "x-tenant: blue", "X-Api-Key: REDACTED", "malformed", "authorization REDACTED"}
	if !slices.Equal(got.Metadata.Headers, wantHeaders) {
		t.Errorf("headers = %q, want %q", got.Metadata.Headers, wantHeaders)
	}
	if want := []string{"cookie: REDACTED"}; !slices.Equal(got.Metadata.ReflectHeaders, want) {
		t.Errorf("reflect headers = %q, want %q", got.Metadata.ReflectHeaders, want)
	}
	if !slices.Equal(in.Metadata.Headers, orig) {
		t.Errorf("the caller's headers were changed: %q", in.Metadata.Headers)
	}
	if got := RedactOptions(plan.Options{}); got.Metadata.Headers != nil {
		t.Errorf("nil headers became %q", got.Metadata.Headers)
	}
}

func TestRedactListedHeaders(t *testing.T) {
	in := plan.Options{Metadata: plan.Metadata{
		Headers:        []string{"x-tenant: blue", "X-Internal-Route: shard-7", "x-user: alice", "authorization: Bearer abc"},
		ReflectHeaders: []string{"x-internal-route: shard-8", "x-other: ok"},
		Redact:         []string{" x-INTERNAL-route ", "x-user:"},
	}}
	got := RedactOptions(in)
	want := []string{"x-tenant: blue", "X-Internal-Route: REDACTED", "x-user: REDACTED", "authorization: REDACTED"}
	if !slices.Equal(got.Metadata.Headers, want) {
		t.Errorf("headers = %q, want %q", got.Metadata.Headers, want)
	}
	if want := []string{"x-internal-route: REDACTED", "x-other: ok"}; !slices.Equal(got.Metadata.ReflectHeaders, want) {
		t.Errorf("reflect headers = %q, want %q", got.Metadata.ReflectHeaders, want)
	}
	if !slices.Equal(got.Metadata.Redact, in.Metadata.Redact) {
		t.Errorf("the listed keys are not kept: %q", got.Metadata.Redact)
	}
}

func TestRedactTarget(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:hunter22@api.example.com:443/x", "https://REDACTED@api.example.com:443/x"},
		{"dns://user:pw@8.8.8.8/host:443", "dns://REDACTED@8.8.8.8/host:443"},
		{"user:hunter22@host:8443", "REDACTED@host:8443"},
		{"token@host:8443", "REDACTED@host:8443"},
		{"host:8443", "host:8443"},
		{"dns:///host:443", "dns:///host:443"},
		{"unix:///tmp/a@b.sock", "unix:///tmp/a@b.sock"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := RedactTarget(tt.in); got != tt.want {
			t.Errorf("RedactTarget(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	o := RedactOptions(plan.Options{Target: plan.Target{Addr: "user:hunter22@host:1"}})
	if o.Target.Addr != "REDACTED@host:1" {
		t.Errorf("options target %q keeps its credentials", o.Target.Addr)
	}
}

func TestScrubberRemovesKnownSecrets(t *testing.T) {
	o := plan.Options{
		Target: plan.Target{Addr: "grpcs://alice:s3cr3t-pw@host:443"},
		Metadata: plan.Metadata{
			Headers: []string{"authorization: Bearer tok-0123456789", "x-tenant: blue", "x-session: sess-42",
				"authorization-bin: binsecret", "x-trace: abc"},
			Redact: []string{"x-trace"},
		},
	}
	s := &Summary{
		Target:  o.Target.Addr,
		Options: RedactOptions(o),
		ErrorsByMessage: []ErrorCount{
			{Message: "invalid token tok-0123456789 for tenant blue", Count: 1},
			{Message: "bad session sess-42; binsecret; trace abc", Count: 1},
			{Message: "dial alice:s3cr3t-pw@host: refused, pw s3cr3t-pw", Count: 1},
		},
		Findings:    []Finding{{Title: "token tok-0123456789 rejected"}},
		Connections: []Connection{{Events: []Event{{Event: event.Event{Err: "auth Bearer tok-0123456789"}}}}},
		Sources:     []Source{{Target: "alice:s3cr3t-pw@host:443"}},
	}
	NewScrubber(o).Summary(s)
	var js bytes.Buffer
	if err := WriteJSON(&js, s); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"tok-0123456789", "sess-42", "binsecret", "s3cr3t-pw", "alice"} {
		if strings.Contains(js.String(), secret) {
			t.Errorf("the report holds %q:\n%s", secret, js.String())
		}
	}
	if !strings.Contains(js.String(), "tenant blue") || !strings.Contains(js.String(), "trace abc") {
		t.Errorf("text that is no secret (or too short to scrub) went too:\n%s", js.String())
	}
	if s.Target != "grpcs://REDACTED@host:443" {
		t.Errorf("target %q", s.Target)
	}
}
