package cmd

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// fidelityProto declares what the raw server below answers: a proto2
// message with an extension and an Any, and a proto3 one whose string must
// be UTF-8.
const fidelityProto = `syntax = "proto2";
package fidelity;
import "google/protobuf/any.proto";
message Req {}
message Resp {
  optional string text = 1;
  optional google.protobuf.Any detail = 2;
  extensions 100 to 200;
}
extend Resp { optional int32 ext_count = 100; }
service Fid {
  rpc Unknown(Req) returns (Resp);
  rpc Extension(Req) returns (Resp);
  rpc BadAny(Req) returns (Resp);
}
`

const fidelity3Proto = `syntax = "proto3";
package fidelity3;
message R { string text = 1; }
service F3 { rpc BadUTF8(R) returns (R); }
`

type rawBytes struct{ b []byte }

// rawServerCodec hands the server's handler raw bytes both ways.
type rawServerCodec struct{}

func (rawServerCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.(*rawBytes).b)}, nil
}
func (rawServerCodec) Unmarshal(data mem.BufferSlice, v any) error {
	v.(*rawBytes).b = data.Materialize()
	return nil
}
func (rawServerCodec) Name() string { return "proto" }

// startRawServer answers each method with fixed bytes, whatever the
// descriptors say: what a newer or misbehaving server may send.
func startRawServer(t *testing.T, answers map[string][]byte) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodecV2(rawServerCodec{}),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			method, _ := grpc.MethodFromServerStream(stream)
			var req rawBytes
			if err := stream.RecvMsg(&req); err != nil {
				return err
			}
			return stream.SendMsg(&rawBytes{answers[method]})
		}))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func TestCallFidelity(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, text := range map[string]string{"fid.proto": fidelityProto, "fid3.proto": fidelity3Proto} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	field := func(b []byte, num protowire.Number, typ protowire.Type) []byte {
		return protowire.AppendTag(b, num, typ)
	}
	var unknown, ext, badAny, badUTF8 []byte
	unknown = protowire.AppendString(field(nil, 1, protowire.BytesType), "hello")
	unknown = protowire.AppendVarint(field(unknown, 99, protowire.VarintType), 42)
	ext = protowire.AppendVarint(field(protowire.AppendString(field(nil, 1, protowire.BytesType), "x"), 100, protowire.VarintType), 7)
	anyMsg := protowire.AppendString(field(nil, 1, protowire.BytesType), "type.example.com/not.Known")
	anyMsg = protowire.AppendBytes(field(anyMsg, 2, protowire.BytesType), []byte{8, 1})
	badAny = protowire.AppendBytes(field(nil, 2, protowire.BytesType), anyMsg)
	badUTF8 = protowire.AppendBytes(field(nil, 1, protowire.BytesType), []byte{0xff, 0xfe})
	addr := startRawServer(t, map[string][]byte{
		"/fidelity.Fid/Unknown": unknown, "/fidelity.Fid/Extension": ext,
		"/fidelity.Fid/BadAny": badAny, "/fidelity3.F3/BadUTF8": badUTF8,
	})
	tests := []struct {
		method, proto  string
		code           int
		stdout, stderr []string
	}{
		{"fidelity.Fid/Unknown", "fid.proto", 0, []string{`"text": "hello"`},
			[]string{"response 1 holds fields its descriptors do not know", "field 99: varint 42"}},
		{"fidelity.Fid/Extension", "fid.proto", 0, []string{`"[fidelity.ext_count]": 7`}, nil},
		{"fidelity.Fid/BadAny", "fid.proto", 0, []string{`type_url: "type.example.com/not.Known"`},
			[]string{"cannot be printed as JSON", "in protobuf text format"}},
		{"fidelity3.F3/BadUTF8", "fid3.proto", 1, []string{`field 1: bytes fffe (2 bytes, not UTF-8)`},
			[]string{"could not be decoded as fidelity3.R", "the call did not fail"}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			f, out, errOut := testFactory("")
			code := Run(context.Background(), f, []string{"call", "--plaintext", "--proto", filepath.Join(dir, tt.proto),
				"--import-path", dir, addr, tt.method})
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(errOut.String(), "Code: Internal") {
				t.Errorf("a client-side decoding failure is labelled as the server's Internal:\n%s", errOut)
			}
		})
	}
}
