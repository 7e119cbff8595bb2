package runner

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

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
		{name: "nested and enum", data: `{"options":{"priority":"PRIORITY_HIGH","budget":"1.5s","labels":{"a":"b"}}}`,
			want: []*pulsepb.Request{{Options: &pulsepb.Options{Priority: pulsepb.Priority_PRIORITY_HIGH}}}},
		{name: "unknown field", data: "{\"id\":1}\n\n{\"nope\":1}", wantErr: `request message 2 (line 3) is not a valid grpcpulse.test.v1.Request: (line 1:2): unknown field "nope"`},
		{name: "wrong type", data: `{"id":"x"}`, wantErr: "request message 1 (line 1) is not a valid grpcpulse.test.v1.Request"},
		{name: "syntax", data: "{\"id\":1}\n{\"id\" 2}", wantErr: "request message 2 (line 2): not valid JSON: invalid character '2' after object key at line 2, column 7"},
		{name: "unclosed", data: `{"id":1`, wantErr: "unexpected end of input"},
		{name: "not an object", data: `[1]`, wantErr: "request message 1 (line 1) is not a valid"},
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
				if req.GetId() != tt.want[i].GetId() || req.GetMessage() != tt.want[i].GetMessage() ||
					req.GetOptions().GetPriority() != tt.want[i].GetOptions().GetPriority() {
					t.Errorf("message %d = %v, want %v", i, &req, tt.want[i])
				}
			}
		})
	}
}
