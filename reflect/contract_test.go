package reflect

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// sourceKinds builds one Source of every kind over the Pulse service. Every
// contract test runs against each.
var sourceKinds = []struct {
	name string
	open func(t *testing.T) Source
}{
	{"reflection v1", func(t *testing.T) Source { return serverSourceFor(t) }},
	{"reflection v1alpha", func(t *testing.T) Source {
		return serverSourceFor(t, testserver.WithReflection(testserver.ReflectionV1Alpha))
	}},
	{"protoset", func(t *testing.T) Source {
		src, err := NewProtosetSource("../testdata/pulse.protoset")
		if err != nil {
			t.Fatalf("NewProtosetSource: %v", err)
		}
		return src
	}},
	{"proto files", func(t *testing.T) Source {
		src, err := NewProtoSource([]string{"../testdata/proto"}, "pulse/v1/pulse.proto")
		if err != nil {
			t.Fatalf("NewProtoSource: %v", err)
		}
		return src
	}},
}

// serverSourceFor starts a test server with opts and returns a reflection
// Source for it, bounded by a minute (its subtests may start seconds later
// on a busy machine) and closed with the test.
func serverSourceFor(t *testing.T, opts ...testserver.Option) Source {
	t.Helper()
	srv := testserver.Start(t, opts...)
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	src := NewServerSource(ctx, conn, 10*time.Second)
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		cancel()
		conn.Close()
	})
	return src
}

// contract is what every Source must do.
var contract = []struct {
	name string
	test func(t *testing.T, src Source)
}{
	{"ListServices", testListServices},
	{"FindMethod", testFindMethod},
	{"FindSymbol", testFindSymbol},
	{"unknown names", testUnknownNames},
	{"Describe", testDescribe},
	{"Template", testTemplate},
	{"exact names", testExactNames},
}

// Every source answers names as protobuf scopes them: enum values beside
// their enum, not inside it; empty and malformed names are refused.
func testExactNames(t *testing.T, src Source) {
	d, err := src.FindSymbol("grpcpulse.test.v1.PRIORITY_HIGH")
	if err != nil {
		t.Fatalf("FindSymbol(grpcpulse.test.v1.PRIORITY_HIGH): %v", err)
	}
	if _, ok := d.(protoreflect.EnumValueDescriptor); !ok {
		t.Errorf("grpcpulse.test.v1.PRIORITY_HIGH is a %T, want an enum value", d)
	}
	for _, name := range []string{"grpcpulse.test.v1.Priority.PRIORITY_HIGH", "", "."} {
		if d, err := src.FindSymbol(name); err == nil {
			t.Errorf("FindSymbol(%q) = %v, want an error", name, d.FullName())
		}
	}
	for _, name := range []string{"", "/", ".", "a/b/c", "a..b", "Svc/", "/Method", "a.b./M"} {
		if err := CheckMethodName(name); err == nil {
			t.Errorf("CheckMethodName(%q) accepted it", name)
		}
		if _, err := FindMethod(src, name); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("FindMethod(%q) = %v, want a malformed-name error", name, err)
		}
	}
}

func TestSourceContract(t *testing.T) {
	t.Parallel()
	for _, kind := range sourceKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			src := kind.open(t)
			// The subtests share src, which is safe for concurrent use.
			for _, c := range contract {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.test(t, src)
				})
			}
		})
	}
}

func testListServices(t *testing.T, src Source) {
	got, err := src.ListServices()
	if err != nil {
		t.Fatalf("ListServices: %v", err)
	}
	if !slices.Contains(got, "grpcpulse.test.v1.Pulse") {
		t.Errorf("ListServices = %v, want it to contain grpcpulse.test.v1.Pulse", got)
	}
	if !slices.IsSorted(got) {
		t.Errorf("ListServices = %v, not sorted", got)
	}
}

func testFindMethod(t *testing.T, src Source) {
	tests := []struct {
		method                           string
		clientStreaming, serverStreaming bool
	}{
		{"Unary", false, false},
		{"ServerStream", false, true},
		{"ClientStream", true, false},
		{"Bidi", true, true},
	}
	for _, tt := range tests {
		for _, name := range []string{
			"grpcpulse.test.v1.Pulse/" + tt.method,
			"/grpcpulse.test.v1.Pulse/" + tt.method,
			"grpcpulse.test.v1.Pulse." + tt.method,
		} {
			md, err := FindMethod(src, name)
			if err != nil {
				t.Errorf("FindMethod(%q): %v", name, err)
				continue
			}
			if got, want := md.FullName(), protoreflect.FullName("grpcpulse.test.v1.Pulse."+tt.method); got != want {
				t.Errorf("FindMethod(%q) = %s, want %s", name, got, want)
			}
			if md.IsStreamingClient() != tt.clientStreaming || md.IsStreamingServer() != tt.serverStreaming {
				t.Errorf("FindMethod(%q): client streaming %v, server streaming %v; want %v, %v", name,
					md.IsStreamingClient(), md.IsStreamingServer(), tt.clientStreaming, tt.serverStreaming)
			}
			if got := md.Input().FullName(); got != "grpcpulse.test.v1.Request" {
				t.Errorf("FindMethod(%q).Input() = %s, want grpcpulse.test.v1.Request", name, got)
			}
		}
	}
	sd, err := FindService(src, "grpcpulse.test.v1.Pulse")
	if err != nil {
		t.Fatalf("FindService: %v", err)
	}
	if got := sd.Methods().Len(); got != 4 {
		t.Errorf("FindService: %d methods, want 4", got)
	}
}

func testFindSymbol(t *testing.T, src Source) {
	d, err := src.FindSymbol("grpcpulse.test.v1.Options")
	if err != nil {
		t.Fatalf("FindSymbol(Options): %v", err)
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		t.Fatalf("FindSymbol(Options) = %T, want a message", d)
	}
	budget := md.Fields().ByName("budget")
	if budget == nil || budget.Message() == nil || budget.Message().FullName() != "google.protobuf.Duration" {
		t.Errorf("Options.budget = %v, want a google.protobuf.Duration field", budget)
	}

	d, err = src.FindSymbol("grpcpulse.test.v1.Priority")
	if err != nil {
		t.Fatalf("FindSymbol(Priority): %v", err)
	}
	ed, ok := d.(protoreflect.EnumDescriptor)
	if !ok {
		t.Fatalf("FindSymbol(Priority) = %T, want an enum", d)
	}
	if ed.Values().ByName("PRIORITY_HIGH") == nil {
		t.Errorf("Priority has no PRIORITY_HIGH")
	}

	// Nested elements resolve by their own names too.
	for name, kind := range map[string]string{
		".grpcpulse.test.v1.Request":       "message",
		"grpcpulse.test.v1.Pulse.Bidi":     "method",
		"grpcpulse.test.v1.Options.labels": "field",
		"grpcpulse.test.v1.PRIORITY_LOW":   "enum value",
		"google.protobuf.Duration":         "message",
	} {
		d, err := src.FindSymbol(name)
		if err != nil {
			t.Errorf("FindSymbol(%q): %v", name, err)
			continue
		}
		if got := kindOf(d); got != kind {
			t.Errorf("FindSymbol(%q) is a %s, want a %s", name, got, kind)
		}
	}

	_, err = src.FindSymbol("grpcpulse.test.v1.Nope")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("FindSymbol(unknown) error = %v, want ErrNotFound", err)
	}
}

func testUnknownNames(t *testing.T, src Source) {
	tests := []struct {
		name, kind string
		want       []string // suggestions
		msg        string
	}{
		{"grpcpulse.test.v1.Pulse/Unry", "method", []string{"grpcpulse.test.v1.Pulse/Unary"},
			`method "grpcpulse.test.v1.Pulse/Unry" not found; did you mean grpcpulse.test.v1.Pulse/Unary?`},
		{"grpcpulse.test.v1.Pulse.bidi", "method", []string{"grpcpulse.test.v1.Pulse/Bidi"}, ""},
		{"grpcpulse.test.v1.Pulse/Zzz", "method", nil,
			`method "grpcpulse.test.v1.Pulse/Zzz" not found; grpcpulse.test.v1.Pulse has methods Bidi, ClientStream, ServerStream, Unary`},
		{"Pulse/Unary", "service", []string{"grpcpulse.test.v1.Pulse"},
			`service "Pulse" not found; did you mean grpcpulse.test.v1.Pulse?`},
		{"grpcpulse.test.v1.Puls/Unary", "service", []string{"grpcpulse.test.v1.Pulse"}, ""},
		{"nothing.Like.It/Unary", "service", nil, ""},
		{"grpcpulse.test.v1.Request/Unary", "service", nil,
			`service "grpcpulse.test.v1.Request" not found; grpcpulse.test.v1.Request is a message`},
	}
	for _, tt := range tests {
		_, err := FindMethod(src, tt.name)
		var nf *NotFoundError
		if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) {
			t.Errorf("FindMethod(%q) error = %v, want a *NotFoundError", tt.name, err)
			continue
		}
		if nf.Kind != tt.kind || !slices.Equal(nf.Suggestions, tt.want) {
			t.Errorf("FindMethod(%q): kind %q, suggestions %q; want %q, %q", tt.name, nf.Kind, nf.Suggestions, tt.kind, tt.want)
		}
		if tt.msg != "" && err.Error() != tt.msg {
			t.Errorf("FindMethod(%q) error:\n got %s\nwant %s", tt.name, err, tt.msg)
		}
		if tt.want == nil && tt.kind == "service" && tt.msg == "" && !strings.Contains(err.Error(), "there ") {
			t.Errorf("FindMethod(%q) error = %s, want it to say how many services there are", tt.name, err)
		}
	}

	for _, name := range []string{"", "/", "Pulse", "grpcpulse.test.v1.Pulse/", "/Unary", "grpcpulse.test.v1.Pulse"} {
		_, err := FindMethod(src, name)
		if err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("FindMethod(%q) error = %v, want an invalid name error", name, err)
			continue
		}
		if !strings.Contains(err.Error(), "invalid method name") {
			t.Errorf("FindMethod(%q) error = %v, want it to say the name is invalid", name, err)
		}
	}
}

func testDescribe(t *testing.T, src Source) {
	sd, err := FindService(src, "grpcpulse.test.v1.Pulse")
	if err != nil {
		t.Fatalf("FindService: %v", err)
	}
	got, err := Describe(sd)
	if err != nil {
		t.Fatalf("Describe(service): %v", err)
	}
	for _, want := range []string{
		"service Pulse {",
		"rpc Unary ( .grpcpulse.test.v1.Request ) returns ( .grpcpulse.test.v1.Response );",
		"rpc Bidi ( stream .grpcpulse.test.v1.Request ) returns ( stream .grpcpulse.test.v1.Response );",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Describe(service) = %s\nwant it to contain %q", got, want)
		}
	}
	again, err := Describe(sd)
	if err != nil || again != got {
		t.Errorf("Describe(service) is not deterministic: %q then %q (%v)", got, again, err)
	}

	d, err := src.FindSymbol("grpcpulse.test.v1.Options")
	if err != nil {
		t.Fatalf("FindSymbol: %v", err)
	}
	got, err = Describe(d)
	if err != nil {
		t.Fatalf("Describe(message): %v", err)
	}
	for _, want := range []string{
		"message Options {",
		".grpcpulse.test.v1.Priority priority = 1;",
		".google.protobuf.Duration budget = 2;",
		"map<string, string> labels = 3;",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Describe(message) = %s\nwant it to contain %q", got, want)
		}
	}
}

func testTemplate(t *testing.T, src Source) {
	d, err := src.FindSymbol("grpcpulse.test.v1.Request")
	if err != nil {
		t.Fatalf("FindSymbol: %v", err)
	}
	got, err := Template(d.(protoreflect.MessageDescriptor))
	if err != nil {
		t.Fatalf("Template: %v", err)
	}
	const want = `{
  "message": "",
  "id": "0",
  "payload": "",
  "options": {
    "priority": "PRIORITY_UNSPECIFIED",
    "budget": "0s",
    "labels": {
      "": ""
    }
  },
  "tags": [
    ""
  ]
}
`
	if string(got) != want {
		t.Errorf("Template(Request) =\n%s\nwant\n%s", got, want)
	}
	var parsed map[string]any
	if err := json.Unmarshal(got, &parsed); err != nil {
		t.Fatalf("Template(Request) is not JSON: %v", err)
	}
	options, _ := parsed["options"].(map[string]any)
	if options["budget"] != "0s" || options["priority"] != "PRIORITY_UNSPECIFIED" {
		t.Errorf("Template(Request).options = %v", options)
	}
	if labels, _ := options["labels"].(map[string]any); len(labels) != 1 {
		t.Errorf("Template(Request).options.labels = %v, want one entry", options["labels"])
	}
}
