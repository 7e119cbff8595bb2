package report

import (
	"slices"
	"testing"

	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/conn"
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
	in := runner.Options{Metadata: conn.Metadata{
		Headers:        []string{"authorization: Bearer abc", "x-tenant: blue", "X-Api-Key:k", "malformed"},
		ReflectHeaders: []string{"cookie: a=b"},
	}}
	orig := slices.Clone(in.Metadata.Headers)
	got := RedactOptions(in)
	wantHeaders := []string{"authorization: REDACTED", "x-tenant: blue", "X-Api-Key: REDACTED", "malformed"}
	if !slices.Equal(got.Metadata.Headers, wantHeaders) {
		t.Errorf("headers = %q, want %q", got.Metadata.Headers, wantHeaders)
	}
	if want := []string{"cookie: REDACTED"}; !slices.Equal(got.Metadata.ReflectHeaders, want) {
		t.Errorf("reflect headers = %q, want %q", got.Metadata.ReflectHeaders, want)
	}
	if !slices.Equal(in.Metadata.Headers, orig) {
		t.Errorf("the caller's headers were changed: %q", in.Metadata.Headers)
	}
	if got := RedactOptions(runner.Options{}); got.Metadata.Headers != nil {
		t.Errorf("nil headers became %q", got.Metadata.Headers)
	}
}

func TestRedactListedHeaders(t *testing.T) {
	in := runner.Options{Metadata: conn.Metadata{
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
