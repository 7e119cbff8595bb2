package data

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"
)

// Templates read the environment only when the run allows it: a call to
// env or expandenv anywhere in a template (a branch not taken, a defined
// template, a header value) is refused, naming the function.
func TestTemplatesReadTheEnvironmentOnlyWhenAllowed(t *testing.T) {
	t.Setenv("GRPCPULSE_TEST_TOKEN", "s3cr3t")
	md := pulseMethod("Unary").Input()
	for _, tt := range []struct{ name, data, fn string }{
		{"env", `{"message": "{{env "GRPCPULSE_TEST_TOKEN"}}"}`, "env"},
		{"expandenv", `{"message": "{{expandenv "$GRPCPULSE_TEST_TOKEN"}}"}`, "expandenv"},
		{"in a pipeline", `{"message": "{{"GRPCPULSE_TEST_TOKEN" | env | upper}}"}`, "env"},
		{"in a branch not taken", `{"message": "{{if false}}{{env "GRPCPULSE_TEST_TOKEN"}}{{else}}x{{end}}"}`, "env"},
		{"in a range's else", `{"message": "{{range $x := list}}{{else}}{{expandenv "$HOME"}}{{end}}"}`, "expandenv"},
		{"in a defined template", `{{define "t"}}{{env "GRPCPULSE_TEST_TOKEN"}}{{end}}{"message": "{{template "t"}}"}`, "env"},
		{"in a with", `{"message": "{{with $v := (env "GRPCPULSE_TEST_TOKEN")}}{{$v}}{{end}}"}`, "env"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRequests(md, []byte(tt.data), Templated, nil)
			if !errors.Is(err, ErrTemplateEnv) || !strings.Contains(err.Error(), "--template-env: the template calls "+tt.fn) {
				t.Errorf("err = %v, want ErrTemplateEnv naming --template-env and %s", err, tt.fn)
			}
			reqs, err := NewRequests(md, []byte(tt.data), TemplatedEnv, nil)
			if err != nil {
				t.Fatalf("allowed: %v", err)
			}
			if got := renderAll(t, reqs, 1, 0, 1)[0]; tt.name == "env" && !strings.Contains(got, "s3cr3t") {
				t.Errorf("allowed, rendered %s, want the variable's value", got)
			}
		})
	}
	// A name that only looks like them is not refused.
	if _, err := NewRequests(md, []byte(`{"message": "env {{"expandenv"}} {{.MethodName}}"}`), Templated, nil); err != nil {
		t.Errorf("text and strings named env: %v", err)
	}
}

func TestHeaderTemplatesReadTheEnvironmentOnlyWhenAllowed(t *testing.T) {
	md := metadata.Pairs("x-plain", "{{.RequestNumber}}", "x-token", `{{env "GRPCPULSE_TEST_TOKEN"}}`)
	if _, err := CompileHeaders(md, Templated); !errors.Is(err, ErrTemplateEnv) || !strings.Contains(err.Error(), `header "x-token"`) {
		t.Errorf("err = %v, want ErrTemplateEnv naming the header", err)
	}
	if h, err := CompileHeaders(md, TemplatedEnv); err != nil || h == nil {
		t.Errorf("allowed: %v", err)
	}
}
