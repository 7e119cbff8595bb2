package reflect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Template returns a JSON request body for md with every field present,
// as a starting point to edit: scalars hold their zero values (numbers 0,
// strings and bytes "", bools false), enums their first value's name,
// repeated fields one element, maps one entry, nested messages are filled
// recursively, except that a message type already being filled further up
// becomes {} (so recursive types end). Only the first field of each oneof is
// present, since a message can hold only one. Well-known types take their
// JSON forms: Timestamp "1970-01-01T00:00:00Z", Duration "0s", Struct and
// Any {}, Value null, ListValue [], FieldMask "", wrappers their scalar.
//
// Keys are the JSON names, in field order. The text follows the proto JSON
// mapping, so it unmarshals with protojson; 64-bit integers are therefore
// strings ("0"). The output is indented with two spaces, ends with a
// newline, and is the same on every call.
//
// The JSON is written directly rather than by protojson with
// EmitUnpopulated, which would print a recursion stub as an object of null,
// [] and {} fields instead of {}, and which varies its spacing on purpose.
func Template(md protoreflect.MessageDescriptor) ([]byte, error) {
	if md == nil {
		return nil, errors.New("template: no message descriptor")
	}
	var raw bytes.Buffer
	writeMessage(&raw, md, map[protoreflect.FullName]bool{})
	var out bytes.Buffer
	if err := json.Indent(&out, raw.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("template %s: %w", md.FullName(), err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// wellKnownJSON holds the examples of the well-known types whose JSON form
// is not an object of their fields.
var wellKnownJSON = map[protoreflect.FullName]string{
	"google.protobuf.Any":         `{}`,
	"google.protobuf.Duration":    `"0s"`,
	"google.protobuf.Timestamp":   `"1970-01-01T00:00:00Z"`,
	"google.protobuf.Struct":      `{}`,
	"google.protobuf.Value":       `null`,
	"google.protobuf.ListValue":   `[]`,
	"google.protobuf.FieldMask":   `""`,
	"google.protobuf.Empty":       `{}`,
	"google.protobuf.BoolValue":   `false`,
	"google.protobuf.BytesValue":  `""`,
	"google.protobuf.DoubleValue": `0`,
	"google.protobuf.FloatValue":  `0`,
	"google.protobuf.Int32Value":  `0`,
	"google.protobuf.Int64Value":  `"0"`,
	"google.protobuf.StringValue": `""`,
	"google.protobuf.UInt32Value": `0`,
	"google.protobuf.UInt64Value": `"0"`,
}

// writeMessage writes the example object of md. onPath holds the message
// types being written by the callers.
func writeMessage(b *bytes.Buffer, md protoreflect.MessageDescriptor, onPath map[protoreflect.FullName]bool) {
	if s, ok := wellKnownJSON[md.FullName()]; ok {
		b.WriteString(s)
		return
	}
	if onPath[md.FullName()] {
		b.WriteString("{}")
		return
	}
	onPath[md.FullName()] = true
	defer delete(onPath, md.FullName())

	b.WriteByte('{')
	fields := md.Fields()
	first := true
	for i := range fields.Len() {
		fd := fields.Get(i)
		if oo := fd.ContainingOneof(); oo != nil && !oo.IsSynthetic() && oo.Fields().Get(0) != fd {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSONString(b, fd.JSONName())
		b.WriteByte(':')
		switch {
		case fd.IsMap():
			b.WriteByte('{')
			b.WriteString(exampleMapKey(fd.MapKey()))
			b.WriteByte(':')
			writeValue(b, fd.MapValue(), onPath)
			b.WriteByte('}')
		case fd.IsList():
			b.WriteByte('[')
			writeValue(b, fd, onPath)
			b.WriteByte(']')
		default:
			writeValue(b, fd, onPath)
		}
	}
	b.WriteByte('}')
}

// writeValue writes the example of one value of fd.
func writeValue(b *bytes.Buffer, fd protoreflect.FieldDescriptor, onPath map[protoreflect.FullName]bool) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		writeMessage(b, fd.Message(), onPath)
	case protoreflect.EnumKind:
		if fd.Enum().FullName() == "google.protobuf.NullValue" {
			b.WriteString("null")
			return
		}
		writeJSONString(b, string(fd.Enum().Values().Get(0).Name()))
	case protoreflect.BoolKind:
		b.WriteString("false")
	case protoreflect.StringKind, protoreflect.BytesKind:
		b.WriteString(`""`)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		b.WriteString(`"0"`)
	default: // 32-bit integers, float, double
		b.WriteString("0")
	}
}

// exampleMapKey is the example key of a map, quoted as JSON object keys are.
func exampleMapKey(fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return `""`
	case protoreflect.BoolKind:
		return `"false"`
	default: // integers
		return `"0"`
	}
}

// writeJSONString writes s as a JSON string (a json_name option may hold
// any text).
func writeJSONString(b *bytes.Buffer, s string) {
	quoted, _ := json.Marshal(s) // a string always marshals
	b.Write(quoted)
}
