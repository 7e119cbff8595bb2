package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// ParseMessages reads data as zero or more JSON objects one after another
// (separated by white space) and returns one message of type md for each.
// An error says which message is wrong, on which line it starts, and why.
// r may be nil when no google.protobuf.Any field needs resolving.
func ParseMessages(md protoreflect.MessageDescriptor, data []byte, r Resolver) ([]proto.Message, error) {
	opts := protojson.UnmarshalOptions{Resolver: r}
	dec := json.NewDecoder(bytes.NewReader(data))
	var msgs []proto.Message
	for n := 1; ; n++ {
		start := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return msgs, nil
		}
		line := lineOf(data, start+leadingSpace(data[start:]))
		if err != nil {
			return nil, fmt.Errorf("request message %d (line %d): not valid JSON: %w", n, line, jsonError(data, err))
		}
		msg := dynamicpb.NewMessage(md)
		if err := opts.Unmarshal(raw, msg); err != nil {
			return nil, fmt.Errorf("request message %d (line %d) is not a valid %s: %s",
				n, line, md.FullName(), protoErrorText(err))
		}
		msgs = append(msgs, msg)
	}
}

// protoErrorText drops protojson's "proto:" prefix, whose following space
// protojson varies on purpose (sometimes U+00A0).
func protoErrorText(err error) string {
	return strings.TrimSpace(strings.TrimPrefix(err.Error(), "proto:"))
}

func leadingSpace(b []byte) int64 { return int64(len(b) - len(bytes.TrimLeft(b, " \t\r\n"))) }

func lineOf(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// jsonError adds the line and column to a JSON syntax error.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := lineOf(data, syn.Offset)
		col := syn.Offset - int64(bytes.LastIndexByte(data[:min(syn.Offset, int64(len(data)))], '\n')) - 1
		return fmt.Errorf("%w at line %d, column %d", err, line, col)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of input (an object is not closed)")
	}
	return err
}
