package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Errors of ReadJSON, for callers that branch on why a file was refused.
var (
	// ErrNotReport means the input is not a grpcpulse JSON report at all.
	ErrNotReport = errors.New("not a grpcpulse JSON report")
	// ErrSchema means the input is a report of a schema this version does
	// not read (another or a newer one).
	ErrSchema = errors.New("unsupported report schema")
)

// timestampLayout is RFC 3339 with all nine digits of nanoseconds, so that
// timestamps sort as strings.
const timestampLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Timestamp is a time written in JSON as RFC 3339 in UTC with nanoseconds.
type Timestamp struct{ time.Time }

// MarshalJSON writes t in UTC with nine fractional digits.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(timestampLayout) + `"`), nil
}

// UnmarshalJSON reads any RFC 3339 time, into UTC.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("timestamp %s is not a string", b)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = v.UTC()
	return nil
}

// WriteJSON writes s as an indented JSON report (schema grpcpulse.report/v1).
func WriteJSON(w io.Writer, s *Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}

// ReadJSON reads a report written by WriteJSON. It refuses input that is not
// a report (ErrNotReport: not JSON, or without a schema, method, started_at
// or latency histogram), reports of another or newer schema (ErrSchema), and
// reports whose fields hold values no run produces (ErrCorrupt, see
// Validate). What it returns is sanitized (Sanitize): its text holds no
// control characters and its target no credentials, whoever wrote it.
func ReadJSON(r io.Reader) (*Summary, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading report: %w", err)
	}
	if !json.Valid(data) {
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
			return nil, fmt.Errorf("%w: the JSON is truncated or malformed", ErrNotReport)
		}
		return nil, fmt.Errorf("%w: the input is not JSON", ErrNotReport)
	}
	var head struct {
		Schema    string `json:"schema"`
		Method    string `json:"method"`
		StartedAt string `json:"started_at"`
		Latency   *struct {
			HDR string `json:"hdr"`
		} `json:"latency"`
		Series map[string]json.RawMessage `json:"series"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotReport, err)
	}
	if err := checkSchema(head.Schema); err != nil {
		return nil, err
	}
	var missing []string
	if head.Method == "" {
		missing = append(missing, `"method"`)
	}
	if head.StartedAt == "" {
		missing = append(missing, `"started_at"`)
	}
	if head.Latency == nil || head.Latency.HDR == "" {
		missing = append(missing, `"latency" histogram (with its "hdr")`)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: it has no %s", ErrNotReport, strings.Join(missing, ", no "))
	}
	if len(head.Series) > maxSeries {
		// Before decoding: each series decodes into a histogram.
		return nil, fmt.Errorf("reading %s report: %w: field series has %d entries (want at most %d)", Schema, ErrCorrupt, len(head.Series), maxSeries)
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("reading %s report: %w", Schema, err)
	}
	if err := Validate(&s); err != nil {
		return nil, fmt.Errorf("reading %s report: %w", Schema, err)
	}
	Sanitize(&s)
	return &s, nil
}

func checkSchema(schema string) error { return checkSchemaOf(schema, Schema, "report") }

// checkSchemaOf accepts schema when it is want ("grpcpulse.X/v1"), and
// otherwise says whether it is missing, newer than this grpcpulse reads, or
// something else; what names the document ("report", "probe").
func checkSchemaOf(schema, want, what string) error {
	prefix := strings.TrimRight(want, "0123456789")
	switch {
	case schema == want:
		return nil
	case schema == "":
		return fmt.Errorf("%w: it has no \"schema\" field", ErrNotReport)
	case strings.HasPrefix(schema, prefix):
		if v, err := strconv.Atoi(strings.TrimPrefix(schema, prefix)); err == nil && v > 1 {
			return fmt.Errorf("%w: the %s is %s, newer than this grpcpulse reads (%s); upgrade grpcpulse", ErrSchema, what, schema, want)
		}
	}
	return fmt.Errorf("%w: %q (this grpcpulse reads %s)", ErrSchema, schema, want)
}
