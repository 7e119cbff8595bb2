package reflect

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// DescriptorHash fingerprints the descriptors a method depends on: its file
// and every file that imports, transitively. Two reports with the same hash
// called the same API, whatever source (reflection, protoset or .proto
// files) described it; a changed field or method changes the hash. It is
// "sha256:" and the hex digest of the files' deterministic encodings, in
// name order.
func DescriptorHash(md protoreflect.MethodDescriptor) string {
	files := map[string]protoreflect.FileDescriptor{}
	var walk func(protoreflect.FileDescriptor)
	walk = func(f protoreflect.FileDescriptor) {
		if _, seen := files[f.Path()]; seen {
			return
		}
		files[f.Path()] = f
		imports := f.Imports()
		for i := range imports.Len() {
			walk(imports.Get(i).FileDescriptor)
		}
	}
	walk(md.ParentFile())
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	h := sha256.New()
	opts := proto.MarshalOptions{Deterministic: true}
	for _, name := range names {
		fdp := protodesc.ToFileDescriptorProto(files[name])
		fdp.SourceCodeInfo = nil // comments and positions are not the API
		b, err := opts.Marshal(fdp)
		if err != nil {
			continue // cannot happen for a descriptor protodesc built
		}
		h.Write([]byte(name))
		h.Write(b)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
