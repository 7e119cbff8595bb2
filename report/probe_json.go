package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
)

// ReadProbeJSON reads a probe written by WriteProbeJSON (the output of
// `grpcpulse diagnose --format json`). Like ReadJSON it refuses input that
// is not one (ErrNotReport: not JSON, no schema) and probes of another or
// newer schema (ErrSchema).
func ReadProbeJSON(r io.Reader) (*Probe, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading probe: %w", err)
	}
	if !json.Valid(data) {
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
			return nil, fmt.Errorf("%w: the JSON is truncated or malformed", ErrNotReport)
		}
		return nil, fmt.Errorf("%w: the input is not JSON", ErrNotReport)
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotReport, err)
	}
	if err := checkProbeSchema(head.Schema); err != nil {
		return nil, err
	}
	var p Probe
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("reading %s probe: %w", ProbeSchema, err)
	}
	// As ReadJSON does for reports: a crafted probe's escape sequences and
	// credentials reach no renderer.
	scrubValue(reflect.ValueOf(&p).Elem(), (*Scrubber)(nil).String)
	p.Target = RedactTarget(p.Target)
	p.Options.Addr = RedactTarget(p.Options.Addr)
	return &p, nil
}

func checkProbeSchema(schema string) error { return checkSchemaOf(schema, ProbeSchema, "probe") }
