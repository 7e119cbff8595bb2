package reflect

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/anypb"
)

func TestTypeResolverAny(t *testing.T) {
	t.Parallel()
	const in = `{"@type":"type.googleapis.com/grpcpulse.test.v1.Request","message":"hi",` +
		`"options":{"budget":"1.500s","labels":{"k":"v"}}}`
	for _, kind := range sourceKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			src := kind.open(t)
			res := TypeResolver(src)

			var a anypb.Any
			if err := (protojson.UnmarshalOptions{Resolver: res}).Unmarshal([]byte(in), &a); err != nil {
				t.Fatalf("Unmarshal Any: %v", err)
			}
			out, err := protojson.MarshalOptions{Resolver: res}.Marshal(&a)
			if err != nil {
				t.Fatalf("Marshal Any: %v", err)
			}
			var back anypb.Any
			if err := (protojson.UnmarshalOptions{Resolver: res}).Unmarshal(out, &back); err != nil || !proto.Equal(&a, &back) {
				t.Errorf("round trip through %s changed the Any (%v)", out, err)
			}

			mt, err := res.FindMessageByURL("type.googleapis.com/grpcpulse.test.v1.Request")
			if err != nil {
				t.Fatalf("FindMessageByURL: %v", err)
			}
			if _, ok := mt.New().Interface().(*dynamicpb.Message); !ok {
				t.Errorf("FindMessageByURL gave %T, want a dynamic message from the source", mt.New().Interface())
			}
			// Well-known types resolve even when the source lacks them.
			if _, err := res.FindMessageByName("google.protobuf.Timestamp"); err != nil {
				t.Errorf("FindMessageByName(Timestamp): %v", err)
			}
			if _, err := res.FindMessageByName("grpcpulse.test.v1.Nope"); !errors.Is(err, protoregistry.NotFound) {
				t.Errorf("FindMessageByName(unknown) error = %v, want protoregistry.NotFound", err)
			}
			if _, err := res.FindMessageByName("grpcpulse.test.v1.Priority"); err == nil {
				t.Errorf("FindMessageByName(an enum): no error")
			}
			if _, err := res.FindExtensionByName("grpcpulse.test.v1.nope"); !errors.Is(err, protoregistry.NotFound) {
				t.Errorf("FindExtensionByName error = %v, want protoregistry.NotFound", err)
			}
		})
	}
}

const extensionProto = `syntax = "proto2";

package ext.v1;

message Base {
  optional string name = 1;
  extensions 100 to 199;
}

extend Base {
  optional string note = 100;
}

message Holder {
  extend Base {
    optional int32 weight = 101;
  }
}
`

// lazySource hides a file source's type so TypeResolver takes the path it
// takes for server sources: asking FindSymbol.
type lazySource struct{ Source }

func TestTypeResolverExtensions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ext.proto"), []byte(extensionProto), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := NewProtoSource([]string{dir}, "ext.proto")
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]Source{"files": files, "lazy": lazySource{files}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := TypeResolver(src)
			d, err := src.FindSymbol("ext.v1.Base")
			if err != nil {
				t.Fatal(err)
			}
			msg := dynamicpb.NewMessage(d.(protoreflect.MessageDescriptor))
			in := `{"name":"n","[ext.v1.note]":"hello","[ext.v1.Holder.weight]":3}`
			if err := (protojson.UnmarshalOptions{Resolver: res}).Unmarshal([]byte(in), msg); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			n := 0
			msg.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
				if fd.IsExtension() {
					n++
				}
				return true
			})
			if n != 2 {
				t.Errorf("decoded %d extensions, want 2", n)
			}
			if _, err := res.FindExtensionByName("ext.v1.Base"); err == nil {
				t.Errorf("FindExtensionByName(a message): no error")
			}
		})
	}
	// Only the file source can look extensions up by number.
	xt, err := TypeResolver(files).FindExtensionByNumber("ext.v1.Base", 101)
	if err != nil || xt.TypeDescriptor().FullName() != "ext.v1.Holder.weight" {
		t.Errorf("FindExtensionByNumber = %v, %v; want ext.v1.Holder.weight", xt, err)
	}
	if _, err := TypeResolver(lazySource{files}).FindExtensionByNumber("ext.v1.Base", 101); !errors.Is(err, protoregistry.NotFound) {
		t.Errorf("FindExtensionByNumber through FindSymbol error = %v, want protoregistry.NotFound", err)
	}
}
