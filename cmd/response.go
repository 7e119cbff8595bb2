package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
)

// responsePrinter prints the responses of a call as they arrived: JSON (or
// protobuf text), fields the descriptors do not know named on stderr, and a
// response the client cannot decode shown field by field from its bytes.
type responsePrinter struct {
	out, errOut  io.Writer
	resolver     data.Resolver
	text         bool // protobuf text format instead of JSON
	emitDefaults bool
	typeName     protoreflect.FullName

	n         int
	undecoded error // the first response that could not be decoded
}

func (p *responsePrinter) print(r runner.Response) error {
	p.n++
	if r.DecodeErr != nil {
		if p.undecoded == nil {
			p.undecoded = &runner.DecodeError{Index: p.n, Type: p.typeName, Err: r.DecodeErr}
		}
		fmt.Fprintf(p.errOut, "response %d could not be decoded as %s (%v); its fields as they arrived:\n",
			p.n, p.typeName, r.DecodeErr)
		_, err := io.WriteString(p.out, wireDump(r.Raw, "  "))
		return err
	}
	out, err := p.marshal(r.Message)
	if err != nil {
		// An Any whose type the descriptors lack cannot be JSON; protobuf
		// text shows it as its type URL and bytes.
		text, terr := prototext.MarshalOptions{Multiline: true, Resolver: p.resolver, EmitUnknown: true}.Marshal(r.Message)
		text = stableText(text)
		if terr != nil {
			return fmt.Errorf("cannot print response %d: %w", p.n, err)
		}
		fmt.Fprintf(p.errOut, "response %d cannot be printed as JSON (%v); in protobuf text format:\n", p.n, err)
		out = text
	}
	if _, err := p.out.Write(out); err != nil {
		return err
	}
	if unknown := unknownFields(r.Message.ProtoReflect(), ""); len(unknown) > 0 && !p.text {
		fmt.Fprintf(p.errOut, "response %d holds fields its descriptors do not know (an older .proto or protoset?): %s\n",
			p.n, report.Printable(strings.Join(unknown, "; "), true))
	}
	return nil
}

// marshal renders m as JSON (indented, byte-stable) or protobuf text.
func (p *responsePrinter) marshal(m proto.Message) ([]byte, error) {
	if p.text {
		b, err := prototext.MarshalOptions{Multiline: true, Resolver: p.resolver, EmitUnknown: true}.Marshal(m)
		return stableText(b), err
	}
	raw, err := protojson.MarshalOptions{Resolver: p.resolver, EmitUnpopulated: p.emitDefaults}.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// unknownFields names the unknown fields of m and of the messages in it,
// each as path, field number, wire type and value.
func unknownFields(m protoreflect.Message, path string) []string {
	var out []string
	for _, f := range wireFields(m.GetUnknown()) {
		out = append(out, path+f)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Message() == nil {
			return true
		}
		name := path + string(fd.Name())
		switch {
		case fd.IsList():
			for i := range v.List().Len() {
				out = append(out, unknownFields(v.List().Get(i).Message(), fmt.Sprintf("%s[%d].", name, i))...)
			}
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
					out = append(out, unknownFields(mv.Message(), fmt.Sprintf("%s[%v].", name, k.Interface()))...)
					return true
				})
			}
		default:
			out = append(out, unknownFields(v.Message(), name+".")...)
		}
		return true
	})
	return out
}

// wireDump shows raw protobuf bytes field by field, one per line.
func wireDump(b []byte, indent string) string {
	var s strings.Builder
	for _, f := range wireFields(b) {
		s.WriteString(indent + report.Printable(f, true) + "\n")
	}
	return s.String()
}

// wireFields reads raw protobuf fields: "field N (type): value". Bytes that
// do not parse end the list with what is left, in hex.
func wireFields(b []byte) []string {
	var out []string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return append(out, fmt.Sprintf("unparsable bytes: %x", b))
		}
		b = b[n:]
		var v string
		switch typ {
		case protowire.VarintType:
			x, m := protowire.ConsumeVarint(b)
			n, v = m, fmt.Sprintf("varint %d", x)
		case protowire.Fixed32Type:
			x, m := protowire.ConsumeFixed32(b)
			n, v = m, fmt.Sprintf("fixed32 %d", x)
		case protowire.Fixed64Type:
			x, m := protowire.ConsumeFixed64(b)
			n, v = m, fmt.Sprintf("fixed64 %d", x)
		case protowire.BytesType:
			x, m := protowire.ConsumeBytes(b)
			n, v = m, "bytes "+quoteBytes(x)
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			n, v = m, fmt.Sprintf("wire type %d, %d bytes", typ, max(m, 0))
		}
		if n < 0 {
			return append(out, fmt.Sprintf("field %d: truncated: %x", num, b))
		}
		out = append(out, fmt.Sprintf("field %d: %s", num, v))
		b = b[n:]
	}
	return out
}

// quoteBytes quotes b as a string when it is valid UTF-8, else in hex.
func quoteBytes(b []byte) string {
	if utf8.Valid(b) {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("%x (%d bytes, not UTF-8)", b, len(b))
}

// textField is the start of a protobuf text line: indentation, a field name
// (or [extension] / [type URL]) and the space prototext varies after it.
var textField = regexp.MustCompile(`(?m)^(\s*(?:[\w.]+|\[[^\]\n]*\]))(:\s+|\s+\{)`)

// stableText makes prototext's output byte-stable: like protojson, it adds
// a random extra space after field names from build to build, on purpose.
// Only the space after a line's field name changes; values keep theirs.
func stableText(b []byte) []byte {
	b = textField.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := textField.FindSubmatch(m)
		if bytes.HasSuffix(sub[2], []byte("{")) {
			return append(sub[1], " {"...)
		}
		return append(sub[1], ": "...)
	})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return b
}
