package data

import (
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// execute renders text once with the functions of a worker of seed.
func execute(t *testing.T, text string, seed int64, d *TemplateData) (string, error) {
	t.Helper()
	return executeLimited(t, text, seed, d, MaxRendered)
}

// executeLimited is execute with limit in place of MaxRendered.
func executeLimited(t *testing.T, text string, seed int64, d *TemplateData, limit int64) (string, error) {
	t.Helper()
	rng := workerRand(seed, 0)
	if d == nil {
		d = &TemplateData{}
	}
	d.rng = rng
	tmpl, err := template.New("t").Funcs(baseFuncs()).Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	d.budget = &renderBudget{limit: limit, left: limit}
	b := limitedBuffer{limit: int(limit)}
	err = template.Must(tmpl.Clone()).Funcs(workerFuncs(rng, d.budget)).Execute(&b, d)
	return b.String(), err
}

var uuidForm = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestTemplateFuncs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		check   func(string) bool
		wantErr string
	}{
		{name: "newUUID", text: `{{newUUID}}`, check: uuidForm.MatchString},
		{name: "uuidv4 (sprig, seeded)", text: `{{uuidv4}}`, check: uuidForm.MatchString},
		{name: "randomString N", text: `{{randomString 12}}`, check: regexp.MustCompile(`^[a-zA-Z0-9]{12}$`).MatchString},
		{name: "randomString 0: 2 to 16", text: `{{randomString 0}}`, check: regexp.MustCompile(`^[a-zA-Z0-9]{2,16}$`).MatchString},
		{name: "randomInt is [min, max)", text: `{{randomInt 5 6}}`, check: func(s string) bool { return s == "5" }},
		{name: "randomInt clamps min to 0", text: `{{randomInt -5 1}}`, check: func(s string) bool { return s == "0" }},
		{name: "randomInt max 0 counts as 1", text: `{{randomInt 0 0}}`, check: func(s string) bool { return s == "0" }},
		{name: "randomInt empty range", text: `{{randomInt 5 5}}`, wantErr: "randomInt: MAX must be above MIN"},
		{name: "randInt is [min, max]", text: `{{randInt 7 7}}`, check: func(s string) bool { return s == "7" }},
		{name: "randInt empty range", text: `{{randInt 2 1}}`, wantErr: "max is below min"},
		{name: "randString", text: `{{randString 5}}`, check: regexp.MustCompile(`^[a-zA-Z0-9]{5}$`).MatchString},
		{name: "randAlpha", text: `{{randAlpha 9}}`, check: regexp.MustCompile(`^[a-zA-Z]{9}$`).MatchString},
		{name: "randNumeric", text: `{{randNumeric 4}}`, check: regexp.MustCompile(`^[0-9]{4}$`).MatchString},
		{name: "randAlphaNum", text: `{{randAlphaNum 4}}`, check: regexp.MustCompile(`^[a-zA-Z0-9]{4}$`).MatchString},
		{name: "randAscii", text: `{{randAscii 30}}`, check: regexp.MustCompile(`^[ -~]{30}$`).MatchString},
		{name: "randBytes", text: `{{randBytes 3}}`, check: regexp.MustCompile(`^[A-Za-z0-9+/]{4}$`).MatchString},
		{name: "shuffle", text: `{{shuffle "abc"}}`, check: func(s string) bool { return len(s) == 3 && strings.ContainsAny(s, "abc") }},
		{name: "sprig upper", text: `{{"x" | upper}}`, check: func(s string) bool { return s == "X" }},
		{name: "sprig add", text: `{{add 1 2}}`, check: func(s string) bool { return s == "3" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := execute(t, tt.text, 1, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(got) {
				t.Errorf("%s rendered %q", tt.text, got)
			}
		})
	}
	if _, ok := baseFuncs()["getHostByName"]; ok {
		t.Error("getHostByName is offered (a DNS lookup per call)")
	}
}

func TestTemplateDataFields(t *testing.T) {
	t.Parallel()
	d := MethodData(pulseMethod("Bidi"))
	d.WorkerID = 3
	now := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	d.at(41, 2, now)
	for _, tt := range []struct{ text, want string }{
		{"{{.RequestNumber}}", "41"},
		{"{{.MessageNumber}}", "2"},
		{"{{.WorkerID}}", "3"},
		{"{{.FullyQualifiedName}}", "grpcpulse.test.v1.Pulse.Bidi"},
		{"{{.MethodName}}", "Bidi"},
		{"{{.ServiceName}}", "Pulse"},
		{"{{.InputName}}", "Request"},
		{"{{.OutputName}}", "Response"},
		{"{{.IsClientStreaming}} {{.IsServerStreaming}}", "true true"},
		{"{{.Timestamp}}", "2024-05-06T07:08:09Z"},
		{"{{.TimestampUnix}}", "1714979289"},
		{"{{.TimestampUnixMilli}}", "1714979289123"},
		{"{{.TimestampUnixNano}}", "1714979289123456789"},
	} {
		got, err := execute(t, tt.text, 1, &d)
		if err != nil || got != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
	got, err := execute(t, "{{.UUID}} {{.UUID}}", 1, &d)
	if a, b, _ := strings.Cut(got, " "); err != nil || !uuidForm.MatchString(a) || a != b {
		t.Errorf(".UUID twice in one rendering = %q, %v; want one UUID", got, err)
	}
}

func TestSplitMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		lists bool
		want  []string // nil: not split
	}{
		{"objects", `{"a":1} {"b":{{randInt 1 2}}}`, true, []string{`{"a":1}`, `{"b":{{randInt 1 2}}}`}},
		{"array", "[\n {\"a\":\"{{newUUID}}\"},\n {\"b\":[1,{\"c\":2}]}\n]", true, []string{`{"a":"{{newUUID}}"}`, `{"b":[1,{"c":2}]}`}},
		{"braces inside actions and strings", `{"a":"}{","b":{{printf "}}"}}}`, true, []string{`{"a":"}{","b":{{printf "}}"}}}`}},
		{"action between messages", `{{range $i := until 3}}{"a":{{$i}}}{{end}}`, true, nil},
		{"array is one message", `[1,2]`, false, nil},
		{"unclosed", `{"a":1`, true, nil},
		{"unclosed action", `{"a":{{.X}`, true, nil},
		{"comment inside", `{"a":1{{/* } */}}}`, true, []string{`{"a":1{{/* } */}}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := splitMessages(tt.text, tt.lists)
			if ok != (tt.want != nil) || strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("split = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

// renderAll renders n calls of worker id with seed and returns them as
// text.
func renderAll(t *testing.T, reqs *Requests, seed int64, id, n int) []string {
	t.Helper()
	w := reqs.ForWorker(id, &RunTemplates{Seed: seed})
	var out []string
	for i := range int64(n) {
		frames, _, err := w.Next(i)
		if err != nil {
			t.Fatal(err)
		}
		var req pulsepb.Request
		if err := proto.Unmarshal(frames[0].data.Materialize(), &req); err != nil {
			t.Fatal(err)
		}
		out = append(out, req.String())
	}
	return out
}

func TestSeedRepeatsData(t *testing.T) {
	t.Parallel()
	md := pulseMethod("Unary")
	data := `[{"id": {{randomInt 0 1000000}}, "message": "{{newUUID}}"}, {"message": "{{randomString 10}} {{.UUID}} {{randAlpha 4}}"}]`
	reqs, err := NewRequests(md.Input(), []byte(data), Templated, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs.msgs) != 2 {
		t.Fatalf("data cut into %d message templates, want 2", len(reqs.msgs))
	}
	a := strings.Join(renderAll(t, reqs, 7, 0, 20), "\n")
	if b := strings.Join(renderAll(t, reqs, 7, 0, 20), "\n"); a != b {
		t.Errorf("seed 7 rendered differently twice:\n%s\n---\n%s", a, b)
	}
	if b := strings.Join(renderAll(t, reqs, 8, 0, 20), "\n"); a == b {
		t.Error("seeds 7 and 8 rendered the same data")
	}
	if b := strings.Join(renderAll(t, reqs, 7, 1, 20), "\n"); a == b {
		t.Error("workers 0 and 1 drew the same data")
	}
}

// Text that does not split into messages is rendered whole, and the call's
// message picked from the result.
func TestRequestsRenderWhole(t *testing.T) {
	t.Parallel()
	reqs, err := NewRequests(pulseMethod("Unary").Input(), []byte(`{{range $i := until 3}}{"id": {{$i}}, "message": "r{{$.RequestNumber}}"}{{end}}`), Templated, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reqs.msgs != nil {
		t.Fatal("a {{range}} of messages was cut")
	}
	got := renderAll(t, reqs, 1, 0, 4)
	want := []string{`message:"r0"`, `message:"r1" id:1`, `message:"r2" id:2`, `message:"r3"`}
	for i := range want {
		if strings.Join(strings.Fields(got[i]), " ") != want[i] {
			t.Errorf("request %d = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestRequestsTemplateErrors(t *testing.T) {
	t.Parallel()
	md := pulseMethod("Unary").Input()
	for _, tt := range []struct{ data, want string }{
		{"{\"id\":1}\n{\"id\": {{.Nope}}}", "--template: rendered for request 1: template: message 2:1:9: executing \"message 2\" at <.Nope>: can't evaluate field Nope"},
		{"{\"id\":1}\n{\"id\": {{randInt 1}}}", "wrong number of args for randInt"},
		{"[{\"id\":1},\n {\"nope\": {{.RequestNumber}}}]", `--template: rendered for request 1: request message 2 is not a valid grpcpulse.test.v1.Request: unknown field "nope"`},
		{"{\"id\":1}\n{\"id\": {{if}}}", "--template: template: data:2: missing value for if"},
	} {
		_, err := NewRequests(md, []byte(tt.data), Templated, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.data, err, tt.want)
		}
	}
}

// FuzzSplitMessages checks that, on text without template actions, the cut
// agrees with ParseMessages: as many messages, each parsing alone.
func FuzzSplitMessages(f *testing.F) {
	for _, s := range []string{`{"id":1}`, "{\"id\":1}\n{\"id\":2}", `[{"id":1},{"message":"}{"}]`, `[{"tags":["a","b"]}] {"id":3}`, `{"message":"\"{"}`, `[1]`, `{`} {
		f.Add(s)
	}
	md := pulseMethod("Unary").Input()
	f.Fuzz(func(t *testing.T, text string) {
		parts, ok := splitMessages(text, true)
		if !ok || strings.Contains(text, "{{") {
			return
		}
		msgs, err := ParseMessages(md, []byte(text), nil)
		if err != nil {
			return
		}
		if len(msgs) != len(parts) {
			t.Fatalf("cut into %d parts %q, ParseMessages read %d messages", len(parts), parts, len(msgs))
		}
		for _, p := range parts {
			if m, err := ParseMessages(md, []byte(p), nil); err != nil || len(m) != 1 {
				t.Fatalf("part %q: %d messages, %v", p, len(m), err)
			}
		}
	})
}
