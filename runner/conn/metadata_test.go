package conn

import (
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"

	"github.com/grpcpulse/grpcpulse/runner/plan"
)

func TestMetadata(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TOKEN": "s3cret", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name    string
		m       plan.Metadata
		call    metadata.MD
		reflect metadata.MD
		wantErr string
	}{
		{name: "none", call: metadata.MD{}, reflect: metadata.MD{}},
		{name: "trimmed and lower-cased",
			m:    plan.Metadata{Headers: []string{"X-Key:  v1 ", "x-key: v2"}},
			call: metadata.MD{"x-key": {"v1", "v2"}}, reflect: metadata.MD{"x-key": {"v1", "v2"}}},
		{name: "reflect only",
			m:    plan.Metadata{Headers: []string{"a: 1"}, ReflectHeaders: []string{"b: 2"}},
			call: metadata.MD{"a": {"1"}}, reflect: metadata.MD{"a": {"1"}, "b": {"2"}}},
		{name: "value with colon", m: plan.Metadata{Headers: []string{"url: http://x:1"}},
			call: metadata.MD{"url": {"http://x:1"}}, reflect: metadata.MD{"url": {"http://x:1"}}},
		{name: "not expanded unless asked", m: plan.Metadata{Headers: []string{"authorization: Bearer ${TOKEN}"}},
			call: metadata.MD{"authorization": {"Bearer ${TOKEN}"}}, reflect: metadata.MD{"authorization": {"Bearer ${TOKEN}"}}},
		{name: "expanded", m: plan.Metadata{Headers: []string{"authorization: Bearer ${TOKEN}${EMPTY}"}, Expand: true},
			call: metadata.MD{"authorization": {"Bearer s3cret"}}, reflect: metadata.MD{"authorization": {"Bearer s3cret"}}},
		{name: "unset variable", m: plan.Metadata{Headers: []string{"a: ${NOPE}"}, Expand: true}, wantErr: "NOPE is not set"},
		{name: "no colon", m: plan.Metadata{Headers: []string{"novalue"}}, wantErr: "is not 'key: value'"},
		{name: "empty key", m: plan.Metadata{Headers: []string{": v"}}, wantErr: "is not 'key: value'"},
		{name: "reserved", m: plan.Metadata{Headers: []string{"grpc-timeout: 1S"}}, wantErr: "reserved"},
		{name: "pseudo-header", m: plan.Metadata{Headers: []string{":authority: x"}}, wantErr: `":authority" is reserved by gRPC; use --authority`},
		{name: "user agent", m: plan.Metadata{Headers: []string{"User-Agent: x"}}, wantErr: `"user-agent" is reserved by gRPC; use --user-agent`},
		{name: "host", m: plan.Metadata{Headers: []string{"host: x"}}, wantErr: `"host" is reserved by gRPC; use --authority`},
		{name: "content type", m: plan.Metadata{Headers: []string{"content-type: application/json"}}, wantErr: `"content-type" is reserved by gRPC`},
		{name: "te", m: plan.Metadata{Headers: []string{"te: gzip"}}, wantErr: `"te" is reserved by gRPC`},
		{name: "connection", m: plan.Metadata{Headers: []string{"Connection: close"}}, wantErr: `HTTP/2 forbids connection-specific headers such as "connection"`},
		{name: "reflection connection", m: plan.Metadata{ReflectHeaders: []string{"keep-alive: 5"}}, wantErr: `HTTP/2 forbids`},
		{name: "transfer encoding", m: plan.Metadata{Headers: []string{"transfer-encoding: chunked"}}, wantErr: `HTTP/2 forbids`},
		{name: "space in key", m: plan.Metadata{Headers: []string{"Bad Key: v"}}, wantErr: "a key may only have"},
		{name: "control byte in value", m: plan.Metadata{Headers: []string{"k: a\x01b"}}, wantErr: "only printable ASCII"},
		{name: "non-ASCII value", m: plan.Metadata{Headers: []string{"k: é"}}, wantErr: "only printable ASCII"},
		{name: "binary key takes anything", m: plan.Metadata{Headers: []string{"k-bin: é"}},
			call: metadata.MD{"k-bin": {"é"}}, reflect: metadata.MD{"k-bin": {"é"}}},
		{name: "credential with no colon", m: plan.Metadata{Headers: []string{"authorization Bearer tok-SECRET"}},
			wantErr: `header "authorization ..." is not 'key: value'`},
		{name: "credential in a bad key", m: plan.Metadata{Headers: []string{"authorization Bearer tok-SECRET: x"}},
			wantErr: `header "authorization ...": a key may only have`},
		{name: "bad reflect header", m: plan.Metadata{ReflectHeaders: []string{"x"}}, wantErr: "is not 'key: value'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.m.LookupEnv = lookup
			err := tt.m.Validate()
			if err == nil {
				_, err = tt.m.Reflection()
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Validate() = %v, want error containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("the error echoes the header's value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			call, _ := tt.m.Call()
			refl, _ := tt.m.Reflection()
			if !equalMD(call, tt.call) || !equalMD(refl, tt.reflect) {
				t.Errorf("call = %v, reflection = %v; want %v, %v", call, refl, tt.call, tt.reflect)
			}
		})
	}
}

func equalMD(a, b metadata.MD) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}
