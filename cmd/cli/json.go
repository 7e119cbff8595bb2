package cli

import (
	"bytes"
	"encoding/json"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/grpcpulse/grpcpulse/runner/data"
)

// marshalJSON renders m as indented JSON with a trailing newline, or on one
// line when compact. protojson varies its spacing on purpose from build to
// build; re-indenting makes the output byte-stable.
func marshalJSON(m proto.Message, r data.Resolver, compact bool) ([]byte, error) {
	raw, err := protojson.MarshalOptions{Resolver: r}.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if compact {
		err = json.Compact(&buf, raw)
	} else {
		err = json.Indent(&buf, raw, "", "  ")
	}
	if err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
