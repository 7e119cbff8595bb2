// Package reflect finds the descriptors of gRPC services and messages, from
// a server's reflection service, from FileDescriptorSet files (protosets) or
// from .proto sources, and turns them into what the rest of grpcpulse needs.
//
// A Source resolves fully-qualified names. NewServerSource asks a server
// through grpc.reflection.v1 (falling back to v1alpha); NewProtosetSource and
// NewProtoSource load files once, up front. All three speak the descriptors
// of google.golang.org/protobuf/reflect/protoreflect; the types of
// jhump/protoreflect/v2 (reflection client, printer) and bufbuild/protocompile
// (.proto compiler) used to fetch, parse and print them stay inside this
// package.
//
// On top of any Source:
//
//   - FindMethod and FindService take a name as users type it
//     ("pkg.Service/Method", "pkg.Service.Method", "/pkg.Service/Method") and
//     return a *NotFoundError that suggests close names when it is unknown;
//   - Describe prints the proto source of a descriptor (the describe command);
//   - Template writes a JSON request body with every field filled (the
//     starting point for a request);
//   - ExportFiles gathers the files declaring some descriptors and their
//     imports, dependencies first; WriteProtoset writes them as a
//     FileDescriptorSet and WriteProtoFiles prints them as .proto source
//     (describe --protoset-out and --proto-out-dir);
//   - TypeResolver lets protojson encode and decode google.protobuf.Any and
//     extensions inside dynamic messages built from the source.
//
// Errors callers branch on are sentinels: ErrNotFound for unknown names and
// ErrReflectionNotSupported for a server without reflection; other errors of
// a server source wrap the RPC error, so status.FromError still reads its code.
//
// The package shadows the standard library's reflect; files in this module
// that need both import the standard one as stdreflect.
package reflect
