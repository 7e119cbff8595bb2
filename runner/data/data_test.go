package data

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

func TestParseMessages(t *testing.T) {
	t.Parallel()
	md := (&pulsepb.Request{}).ProtoReflect().Descriptor()
	tests := []struct {
		name    string
		data    string
		want    []*pulsepb.Request
		wantErr string
	}{
		{name: "empty", data: "", want: nil},
		{name: "one", data: `{"message":"hi","id":"7"}`, want: []*pulsepb.Request{{Message: "hi", Id: 7}}},
		{name: "several", data: "{\"id\":1}\n {\"id\":2}{\"id\":3}\n",
			want: []*pulsepb.Request{{Id: 1}, {Id: 2}, {Id: 3}}},
		{name: "nested and enum", data: `{"options":{"priority":"PRIORITY_HIGH","budget":"1.5s","labels":{"a":"b"}},"tags":["x","y"]}`,
			want: []*pulsepb.Request{{Tags: []string{"x", "y"}, Options: &pulsepb.Options{Priority: pulsepb.Priority_PRIORITY_HIGH,
				Budget: durationpb.New(1500 * time.Millisecond), Labels: map[string]string{"a": "b"}}}}},
		{name: "unknown field", data: "{\"id\":1}\n\n  {\"nope\":1}",
			wantErr: `request message 2 is not a valid grpcpulse.test.v1.Request: unknown field "nope" (line 3, column 4)`},
		{name: "unknown field on a later line", data: "{\"id\":1}\n{\n \"id\": 2,\n \"nope\": 1}",
			wantErr: `unknown field "nope" (line 4, column 2)`},
		{name: "wrong type", data: `{"id":"x"}`, wantErr: "request message 1 is not a valid grpcpulse.test.v1.Request: invalid value for int64 field id: \"x\" (line 1, column 7)"},
		{name: "syntax", data: "{\"id\":1}\n{\"id\" 2}", wantErr: "request message 2: not valid JSON at line 2, column 7: invalid character '2' after object key"},
		{name: "unclosed", data: "{\"id\":1", wantErr: "request message 1: not valid JSON at line 1, column 8: unexpected end of input"},
		{name: "not an object", data: `[1]`, wantErr: "request message 1 is not a valid grpcpulse.test.v1.Request"},
		{name: "array (ghz)", data: "[\n {\"id\":1},\n {\"id\":2}\n]\n", want: []*pulsepb.Request{{Id: 1}, {Id: 2}}},
		{name: "empty array", data: "[]", want: nil},
		{name: "ndjson", data: "{\"id\":1}\n{\"id\":2}\n", want: []*pulsepb.Request{{Id: 1}, {Id: 2}}},
		{name: "array then object", data: `[{"id":1},{"id":2}] {"id":3}`, want: []*pulsepb.Request{{Id: 1}, {Id: 2}, {Id: 3}}},
		{name: "bad element in array", data: "[\n {\"id\":1},\n  {\"nope\":1}\n]",
			wantErr: `request message 2 is not a valid grpcpulse.test.v1.Request: unknown field "nope" (line 3, column 4)`},
		{name: "missing comma in array", data: "[{\"id\":1}\n {\"id\":2}]",
			wantErr: "request message 2: not valid JSON at line 2, column 2: expected comma after array element"},
		{name: "unclosed array", data: "[{\"id\":1},\n", wantErr: "request message 2: not valid JSON at line 2, column 1: unexpected end of input"},
		{name: "nested array", data: `[[{"id":1}]]`, wantErr: "request message 1 is not a valid grpcpulse.test.v1.Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMessages(md, []byte(tt.data), nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d messages, want %d", len(got), len(tt.want))
			}
			for i := range got {
				var req pulsepb.Request
				b, _ := proto.Marshal(got[i])
				if err := proto.Unmarshal(b, &req); err != nil {
					t.Fatal(err)
				}
				if !proto.Equal(&req, tt.want[i]) {
					t.Errorf("message %d = %v, want %v", i, &req, tt.want[i])
				}
			}
		})
	}
}

func TestDataErrorUnwraps(t *testing.T) {
	t.Parallel()
	md := (&pulsepb.Request{}).ProtoReflect().Descriptor()
	_, err := ParseMessages(md, []byte(`{"id":1`), nil)
	var de *DataError
	if !errors.As(err, &de) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want a *DataError wrapping io.ErrUnexpectedEOF", err)
	}
}

func TestParseMessagesArrayTypes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		md   protoreflect.MessageDescriptor
		data string
		want int
	}{
		{"ListValue: an array is one message", (&structpb.ListValue{}).ProtoReflect().Descriptor(), `[1,2] [3]`, 2},
		{"Value: an array is one message", (&structpb.Value{}).ProtoReflect().Descriptor(), `[1,2]`, 1},
		{"Struct: an array is a list", (&structpb.Struct{}).ProtoReflect().Descriptor(), `[{"a":1},{"b":2}]`, 2},
		{"StringValue: an array of strings is a list", (&wrapperspb.StringValue{}).ProtoReflect().Descriptor(), `["a","b","c"]`, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMessages(tt.md, []byte(tt.data), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("got %d messages, want %d", len(got), tt.want)
			}
		})
	}
}

// No data sends an empty message; an empty list is refused: the calls
// cycle through its messages, and there are none.
func TestNewRequestsEmpty(t *testing.T) {
	t.Parallel()
	md := (&pulsepb.Request{}).ProtoReflect().Descriptor()
	for _, data := range []string{"", " \n"} {
		reqs, err := NewRequests(md, []byte(data), Static, nil)
		if err != nil || len(reqs.frames) != 1 || reqs.Size() != 0 {
			t.Errorf("NewRequests(%q) = %+v, %v; want one empty message", data, reqs, err)
		}
	}
	for _, data := range []string{"[]", " [ ] "} {
		if _, err := NewRequests(md, []byte(data), Static, nil); err == nil || !strings.Contains(err.Error(), "empty list") {
			t.Errorf("NewRequests(%q) = %v, want the empty list refused", data, err)
		}
	}
}
