package reflect

import (
	"errors"
	"fmt"

	"github.com/jhump/protoreflect/v2/protoprint"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Describe returns the proto source text declaring d: a service with its
// methods, a method, a message, an enum, or any other element (a file
// descriptor gives the whole file). Doc comments are kept when the
// descriptors carry source information (.proto sources and protosets built
// with it; reflection usually has none). Referenced types are
// fully qualified with a leading dot, since the text stands alone without
// its file's package. Elements keep their declaration order, so the output
// is deterministic.
func Describe(d protoreflect.Descriptor) (string, error) {
	if d == nil {
		return "", errors.New("describe: no descriptor")
	}
	p := protoprint.Printer{
		Compact:                  true,
		OmitComments:             protoprint.CommentsNonDoc,
		ForceFullyQualifiedNames: true,
	}
	s, err := p.PrintProtoToString(d)
	if err != nil {
		return "", fmt.Errorf("describe %s: %w", d.FullName(), err)
	}
	return s, nil
}
