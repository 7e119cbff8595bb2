package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Resolver finds the message types that google.protobuf.Any fields name.
type Resolver interface {
	protoregistry.MessageTypeResolver
	protoregistry.ExtensionTypeResolver
}

// DataError is a request message that could not be read. Line and Column
// count from the start of the whole input (1-based).
type DataError struct {
	// Message is the 1-based position of the message in the input.
	Message      int
	Line, Column int
	// Type is the message type the JSON did not fit; empty when the input
	// was not JSON at all.
	Type protoreflect.FullName
	// Reason says what is wrong, without position.
	Reason string
	Err    error
}

func (e *DataError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("request message %d: not valid JSON at line %d, column %d: %s", e.Message, e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("request message %d is not a valid %s: %s (line %d, column %d)", e.Message, e.Type, e.Reason, e.Line, e.Column)
}

func (e *DataError) Unwrap() error { return e.Err }

// ParseMessages reads data as zero or more JSON values one after another
// (separated by white space, so newline-delimited JSON is read too) and
// returns one message of type md for each. A top-level JSON array is a list
// of messages (ghz's data file format): each element is one message. The
// exception is an input type whose own JSON form is an array
// (google.protobuf.ListValue and google.protobuf.Value): there each top-level
// value is one message. An error is a *DataError saying which message is
// wrong, where and why. r may be nil when no google.protobuf.Any field needs
// resolving.
func ParseMessages(md protoreflect.MessageDescriptor, data []byte, r Resolver) ([]proto.Message, error) {
	return ParseMessagesAllowUnknown(md, data, r, false)
}

// ParseMessagesAllowUnknown is ParseMessages that, when allowUnknown is set,
// skips JSON fields the message type does not have instead of refusing
// them (grpcurl's --allow-unknown-fields: data written for a newer API).
func ParseMessagesAllowUnknown(md protoreflect.MessageDescriptor, data []byte, r Resolver, allowUnknown bool) ([]proto.Message, error) {
	p := messageParser{md: md, data: data, opts: protojson.UnmarshalOptions{Resolver: r, DiscardUnknown: allowUnknown},
		dec: json.NewDecoder(bytes.NewReader(data)), lists: !arrayIsMessage(md)}
	for {
		start := p.dec.InputOffset()
		start += leadingSpace(data[start:])
		if start == int64(len(data)) {
			return p.msgs, nil
		}
		if p.lists && data[start] == '[' {
			if err := p.array(); err != nil {
				return nil, err
			}
			continue
		}
		if err := p.value(start); err != nil {
			return nil, err
		}
	}
}

// arrayIsMessage reports whether a JSON array is one message of type md.
func arrayIsMessage(md protoreflect.MessageDescriptor) bool {
	switch md.FullName() {
	case "google.protobuf.ListValue", "google.protobuf.Value":
		return true
	}
	return false
}

// messageParser reads the messages of ParseMessages.
type messageParser struct {
	md    protoreflect.MessageDescriptor
	data  []byte
	opts  protojson.UnmarshalOptions
	dec   *json.Decoder
	lists bool // a top-level array is a list of messages
	msgs  []proto.Message
}

// value reads the message starting at offset start.
func (p *messageParser) value(start int64) error {
	n := len(p.msgs) + 1
	var raw json.RawMessage
	if err := p.dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) { // only white space (and commas) were left inside an array
			err = io.ErrUnexpectedEOF
		}
		return jsonError(p.data, n, start, err)
	}
	msg := dynamicpb.NewMessage(p.md)
	if err := p.opts.Unmarshal(raw, msg); err != nil {
		return protoError(p.data, n, start, p.md.FullName(), err)
	}
	p.msgs = append(p.msgs, msg)
	return nil
}

// array reads a top-level array of messages.
func (p *messageParser) array() error {
	if _, err := p.dec.Token(); err != nil { // [
		return jsonError(p.data, len(p.msgs)+1, p.dec.InputOffset(), err)
	}
	for p.dec.More() {
		start := p.dec.InputOffset()
		start += int64(len(p.data[start:]) - len(bytes.TrimLeft(p.data[start:], " \t\r\n,")))
		if err := p.value(start); err != nil {
			return err
		}
	}
	if _, err := p.dec.Token(); err != nil { // ]
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return jsonError(p.data, len(p.msgs)+1, p.dec.InputOffset(), err)
	}
	return nil
}

func leadingSpace(b []byte) int64 { return int64(len(b) - len(bytes.TrimLeft(b, " \t\r\n"))) }

// position returns the 1-based line and column of offset in data.
func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	return bytes.Count(before, []byte("\n")) + 1, int(offset) - bytes.LastIndexByte(before, '\n')
}

func jsonError(data []byte, n int, start int64, err error) *DataError {
	e := &DataError{Message: n, Reason: err.Error(), Err: err}
	e.Line, e.Column = position(data, start)
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		at := syn.Offset - 1 // Offset counts the offending byte
		if strings.HasPrefix(syn.Error(), "expected comma") {
			at = syn.Offset // a decoder's own error, offset at the byte
		}
		e.Line, e.Column = position(data, at)
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.Reason = "unexpected end of input (an object or array is not closed)"
		e.Line, e.Column = position(data, int64(len(data)))
	}
	return e
}

// protojsonPos finds the position protojson gives, relative to the message.
var protojsonPos = regexp.MustCompile(`\(line (\d+):(\d+)\):?\s*`)

// protoError places a protojson error in the whole input. protojson varies
// the space after its "proto:" prefix on purpose (sometimes U+00A0).
func protoError(data []byte, n int, start int64, typ protoreflect.FullName, err error) *DataError {
	e := &DataError{Message: n, Type: typ, Err: err}
	e.Line, e.Column = position(data, start)
	reason := strings.TrimSpace(strings.TrimPrefix(err.Error(), "proto:"))
	if m := protojsonPos.FindStringSubmatchIndex(reason); m != nil {
		line, _ := strconv.Atoi(reason[m[2]:m[3]])
		col, _ := strconv.Atoi(reason[m[4]:m[5]])
		if line == 1 {
			e.Column += col - 1
		} else {
			e.Line, e.Column = e.Line+line-1, col
		}
		reason = reason[:m[0]] + reason[m[1]:]
	}
	e.Reason = reason
	return e
}
