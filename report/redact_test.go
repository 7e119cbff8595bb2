package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/runner"
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
	in := runner.Options{Metadata: runner.Metadata{
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
	in := runner.Options{Metadata: runner.Metadata{
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

// TestNoSecretInReports: no value of a secret-looking or listed header
// reaches any report this package writes, merged or compared.
func TestNoSecretInReports(t *testing.T) {
	r, meta := syntheticRun(runner.Unary)
	meta.Options.Metadata = runner.Metadata{
		Headers: []string{
			"authorization: Bearer SECRET-1", "Cookie: session=SECRET-2", "x-session-token: SECRET-3",
			"x-api-key: SECRET-4", "x-custom: SECRET-5", "X-Plain: visible",
		},
		ReflectHeaders: []string{"X-CUSTOM: SECRET-6", "proxy-authorization: Basic SECRET-7"},
		Redact:         []string{"X-Custom"},
	}
	s := Summarize(r, meta)
	m, err := Merge([]*Summary{s, startedLater(jsonRoundTrip(t, s), time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(s, m, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, sum := range []*Summary{s, m, jsonRoundTrip(t, m)} {
		if err := WriteJSON(&out, sum); err != nil {
			t.Fatal(err)
		}
		if err := RenderText(&out, sum, PlainStyles(), 200); err != nil {
			t.Fatal(err)
		}
	}
	if err := RenderComparisonText(&out, c, PlainStyles(), 200); err != nil {
		t.Fatal(err)
	}
	if err := RenderComparisonMarkdown(&out, c); err != nil {
		t.Fatal(err)
	}
	if err := WriteComparisonJSON(&out, c); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "SECRET") {
		i := strings.Index(out.String(), "SECRET")
		t.Errorf("a secret reached a report: ...%s...", out.String()[max(i-80, 0):i+10])
	}
	if !strings.Contains(out.String(), `"X-Plain: visible"`) || !strings.Contains(out.String(), `"x-custom: REDACTED"`) {
		t.Errorf("headers are not in the JSON as expected")
	}
	if meta.Options.Metadata.Headers[0] != "authorization: Bearer SECRET-1" {
		t.Errorf("the caller's options were changed")
	}
}
