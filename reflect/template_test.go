package reflect

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

const templateProto = `syntax = "proto3";

package tmpl.v1;

import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

enum Color {
  COLOR_RED = 0;
  COLOR_BLUE = 1;
}

message Node {
  string name = 1;
  Node parent = 2;
  repeated Node children = 3;
  map<string, Node> named = 4;
}

message Everything {
  double d = 1;
  float f = 2;
  int32 i32 = 3;
  uint64 u64 = 4;
  sint64 s64 = 5;
  bool b = 6;
  bytes raw = 7;
  Color color = 8;
  repeated Color colors = 9;
  repeated int32 numbers = 10;
  map<int32, Color> by_number = 11;
  optional string maybe = 12;
  oneof choice {
    string first = 13;
    int32 second = 14;
  }
  google.protobuf.Timestamp at = 15;
  google.protobuf.Duration took = 16;
  google.protobuf.Struct meta = 17;
  google.protobuf.Value value = 18;
  google.protobuf.ListValue list = 19;
  google.protobuf.Any any = 20;
  google.protobuf.FieldMask mask = 21;
  google.protobuf.Empty empty = 22;
  google.protobuf.StringValue name = 23;
  google.protobuf.Int64Value count = 24;
  google.protobuf.BoolValue flag = 25;
  Node node = 26;
  repeated google.protobuf.Timestamp times = 27;
}
`

func templateSource(t *testing.T) Source {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tmpl.proto"), []byte(templateProto), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := NewProtoSource([]string{dir}, "tmpl.proto")
	if err != nil {
		t.Fatalf("NewProtoSource: %v", err)
	}
	return src
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	src := templateSource(t)
	tests := []struct {
		message string
		want    string
	}{
		{"tmpl.v1.Node", `{
  "name": "",
  "parent": {},
  "children": [
    {}
  ],
  "named": {
    "": {}
  }
}
`},
		{"tmpl.v1.Everything", `{
  "d": 0,
  "f": 0,
  "i32": 0,
  "u64": "0",
  "s64": "0",
  "b": false,
  "raw": "",
  "color": "COLOR_RED",
  "colors": [
    "COLOR_RED"
  ],
  "numbers": [
    0
  ],
  "byNumber": {
    "0": "COLOR_RED"
  },
  "maybe": "",
  "first": "",
  "at": "1970-01-01T00:00:00Z",
  "took": "0s",
  "meta": {},
  "value": null,
  "list": [],
  "any": {},
  "mask": "",
  "empty": {},
  "name": "",
  "count": "0",
  "flag": false,
  "node": {
    "name": "",
    "parent": {},
    "children": [
      {}
    ],
    "named": {
      "": {}
    }
  },
  "times": [
    "1970-01-01T00:00:00Z"
  ]
}
`},
	}
	for _, tt := range tests {
		t.Run(tt.message, func(t *testing.T) {
			t.Parallel()
			d, err := src.FindSymbol(tt.message)
			if err != nil {
				t.Fatal(err)
			}
			md := d.(protoreflect.MessageDescriptor)
			got, err := Template(md)
			if err != nil {
				t.Fatalf("Template: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Template(%s) =\n%s\nwant\n%s", tt.message, got, tt.want)
			}
			// Byte-stable, and valid input for the message it describes.
			for range 5 {
				again, err := Template(md)
				if err != nil || !bytes.Equal(again, got) {
					t.Fatalf("Template(%s) changed between calls:\n%s\n%s", tt.message, got, again)
				}
			}
			if !json.Valid(got) {
				t.Fatalf("Template(%s) is not valid JSON", tt.message)
			}
			msg := dynamicpb.NewMessage(md)
			if err := (protojson.UnmarshalOptions{Resolver: TypeResolver(src)}).Unmarshal(got, msg); err != nil {
				t.Errorf("Template(%s) does not unmarshal into the message: %v", tt.message, err)
			}
		})
	}
	if _, err := Template(nil); err == nil {
		t.Error("Template(nil): no error")
	}
}
