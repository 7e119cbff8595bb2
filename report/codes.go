package report

import (
	"time"

	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// CodeName is the name of c in reports: "OK", "UNAVAILABLE", "OTHER" for
// OtherCode, and "CODE(n)" for another code gRPC does not define.
func CodeName(c event.Code) string {
	if c == OtherCode {
		return otherCodeName
	}
	return event.CodeName(c)
}

// OtherCode stands for every status code gRPC does not define (above
// Unauthenticated): a recorder folds them into it, so a server answering
// random numbers makes one entry of status_codes and of errors, and one
// Prometheus series, not one per number.
const OtherCode = event.Code(math.MaxUint32)

const otherCodeName = "OTHER"

// FoldCode returns c, or OtherCode for a code gRPC does not define.
func FoldCode(c event.Code) event.Code {
	if c > event.CodeUnauthenticated {
		return OtherCode
	}
	return c
}

// parseCode reads a code name as CodeName writes it.
func parseCode(name string) (event.Code, error) {
	if name == otherCodeName {
		return OtherCode, nil
	}
	return event.ParseCode(name)
}

// CodeCount is how many calls ended with a status code.
type CodeCount struct {
	Code  event.Code
	Count int64
}

// StatusCodes counts calls by status code, in code order. In JSON it is an
// object keyed by code name, in code order: {"OK": 98, "UNAVAILABLE": 2}.
type StatusCodes []CodeCount

// MarshalJSON writes the object in code order (a map would sort by name).
func (sc StatusCodes) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range sc {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%d", CodeName(c.Code), c.Count)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the object, sorting by code.
func (sc *StatusCodes) UnmarshalJSON(b []byte) error {
	var m map[string]int64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	out := make(StatusCodes, 0, len(m))
	for name, n := range m {
		c, err := parseCode(name)
		if err != nil {
			return err
		}
		out = append(out, CodeCount{Code: c, Count: n})
	}
	slices.SortFunc(out, func(a, b CodeCount) int { return cmp.Compare(a.Code, b.Code) })
	*sc = out
	return nil
}

// ErrorCount is how many failed calls had one code and normalised message.
type ErrorCount struct {
	Code    event.Code
	Message string
	// Sample is one message of the group as the peer sent it (on one
	// line), when the normalised Message differs from it: what is shown,
	// as numbers merged for counting can be the clue.
	Sample string
	Count  int64
	// MinDuration and MaxDuration are the shortest and longest of these
	// calls, from their actual start to their end (0 when unknown): failures
	// that all take the same time point at a timer (a proxy's timeout).
	MinDuration time.Duration
	MaxDuration time.Duration
}

type errorCountJSON struct {
	Code        string        `json:"code"`
	Message     string        `json:"message"`
	Sample      string        `json:"sample,omitempty"`
	Count       int64         `json:"count"`
	MinDuration time.Duration `json:"min_duration_ns,omitempty"`
	MaxDuration time.Duration `json:"max_duration_ns,omitempty"`
}

// AddDuration widens the duration range by one more call of d.
func (e *ErrorCount) AddDuration(d time.Duration) {
	if e.MaxDuration == 0 || d < e.MinDuration {
		e.MinDuration = d
	}
	e.MaxDuration = max(e.MaxDuration, d)
}

// Shown is the message to show: the peer's own text (Sample) when kept,
// else the group's message.
func (e *ErrorCount) Shown() string {
	if e.Sample != "" {
		return e.Sample
	}
	return e.Message
}

// Absorb adds o's count and duration range to e (same code and message).
func (e *ErrorCount) Absorb(o ErrorCount) {
	e.Count += o.Count
	if e.Sample == "" {
		e.Sample = o.Sample
	}
	if o.MaxDuration > 0 {
		e.AddDuration(o.MinDuration)
		e.AddDuration(o.MaxDuration)
	}
}

// MarshalJSON writes the code by name.
func (e ErrorCount) MarshalJSON() ([]byte, error) {
	return json.Marshal(errorCountJSON{CodeName(e.Code), e.Message, e.Sample, e.Count, e.MinDuration, e.MaxDuration})
}

// UnmarshalJSON reads the code by name.
func (e *ErrorCount) UnmarshalJSON(b []byte) error {
	var w errorCountJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	c, err := parseCode(w.Code)
	if err != nil {
		return err
	}
	*e = ErrorCount{Code: c, Message: w.Message, Sample: w.Sample, Count: w.Count, MinDuration: w.MinDuration, MaxDuration: w.MaxDuration}
	return nil
}

// SortErrorCounts sorts errors by count, most first, then by message and
// code: the order of Summary.ErrorsByMessage.
func SortErrorCounts(es []ErrorCount) {
	slices.SortFunc(es, func(a, b ErrorCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Message, b.Message), cmp.Compare(a.Code, b.Code))
	})
}
