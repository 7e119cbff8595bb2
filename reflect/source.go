package reflect

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Source resolves descriptors by fully-qualified name. Implementations are
// safe for concurrent use.
type Source interface {
	// ListServices returns the fully-qualified names of every service the
	// source knows, sorted.
	ListServices() ([]string, error)
	// FindSymbol returns the descriptor of a service, method, message, enum,
	// enum value, field, oneof or extension by its fully-qualified name (a
	// leading dot is allowed). An unknown name gives an error for which
	// errors.Is(err, ErrNotFound) holds.
	FindSymbol(name string) (protoreflect.Descriptor, error)
	// Close releases what the source holds (the reflection stream of a
	// server source). Descriptors already returned stay usable.
	Close() error
}

// ErrReflectionNotSupported is wrapped by the errors of a server source whose
// server answered Unimplemented to both the v1 and the v1alpha reflection
// service.
var ErrReflectionNotSupported = errors.New("server does not support the reflection API")

// ErrNotFound is matched (with errors.Is) by every error that reports an
// unknown service, method or symbol, including *NotFoundError.
var ErrNotFound = errors.New("not found")

// NotFoundError reports a name that a Source does not know, with the known
// names that are close to it. errors.Is(err, ErrNotFound) holds for it.
type NotFoundError struct {
	// Kind is what was looked for: "service", "method" or "symbol".
	Kind string
	// Name is the name as it was asked for.
	Name string
	// Suggestions are the closest known names (fully-qualified, methods as
	// "pkg.Service/Method"), best first, at most three; nil when nothing is
	// close.
	Suggestions []string

	// hint is said instead of suggestions when there are none: the methods
	// the service does have, how many services there are, or the cause
	// reported by the server.
	hint string
}

// Error names what was not found and suggests close matches, e.g.
// `method "pkg.Svc/Unry" not found; did you mean pkg.Svc/Unary?`.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q not found", e.Kind, e.Name)
	switch {
	case len(e.Suggestions) > 0:
		b.WriteString("; did you mean ")
		b.WriteString(orList(e.Suggestions))
		b.WriteString("?")
	case e.hint != "":
		b.WriteString("; ")
		b.WriteString(e.hint)
	}
	return b.String()
}

// Is reports whether target is ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// orList joins names as "a", "a or b", "a, b or c".
func orList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// kindOf names the kind of element d describes, for error messages.
func kindOf(d protoreflect.Descriptor) string {
	switch d := d.(type) {
	case protoreflect.FileDescriptor:
		return "file"
	case protoreflect.ServiceDescriptor:
		return "service"
	case protoreflect.MethodDescriptor:
		return "method"
	case protoreflect.MessageDescriptor:
		return "message"
	case protoreflect.FieldDescriptor:
		if d.IsExtension() {
			return "extension"
		}
		return "field"
	case protoreflect.OneofDescriptor:
		return "oneof"
	case protoreflect.EnumDescriptor:
		return "enum"
	case protoreflect.EnumValueDescriptor:
		return "enum value"
	default:
		return "element"
	}
}

// trimName drops the leading dot of a fully-qualified name (".pkg.Msg").
func trimName(name string) string { return strings.TrimPrefix(name, ".") }
