package data

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// TemplateData is what a request or header template sees: ghz's call data
// (so that ghz users' data files run as they are), plus MessageNumber.
// UUID and Timestamp are methods so that only the templates that use them
// pay for them; each is fixed for one rendering.
type TemplateData struct {
	// RequestNumber counts the run's calls from 0 (warm-up calls included).
	RequestNumber int64
	// MessageNumber counts the messages of one client or bidi stream from
	// 0; it is 0 for unary and server-streaming calls.
	MessageNumber int64
	// WorkerID is the worker making the call, from 0 (ghz's is a string
	// such as "g0c0"; ours is the number).
	WorkerID int
	// FullyQualifiedName is the method's full name (package.Service.Method).
	FullyQualifiedName string
	// MethodName is the method's short name.
	MethodName string
	// ServiceName is the short name of the method's service.
	ServiceName string
	// InputName and OutputName are the short names of the request and
	// response message types.
	InputName, OutputName string
	// IsClientStreaming and IsServerStreaming give the method's kind.
	IsClientStreaming, IsServerStreaming bool
	// TimestampUnix, TimestampUnixMilli and TimestampUnixNano are when the
	// rendering began, in seconds, milliseconds and nanoseconds since 1970.
	TimestampUnix, TimestampUnixMilli, TimestampUnixNano int64

	now    time.Time
	uuid   string
	rng    *rand.Rand
	budget *renderBudget // what this rendering's functions may still make
}

// MethodData is the part of TemplateData that comes from the method.
func MethodData(m protoreflect.MethodDescriptor) TemplateData {
	return TemplateData{
		FullyQualifiedName: string(m.FullName()),
		MethodName:         string(m.Name()),
		ServiceName:        string(m.Parent().Name()),
		InputName:          string(m.Input().Name()),
		OutputName:         string(m.Output().Name()),
		IsClientStreaming:  m.IsStreamingClient(),
		IsServerStreaming:  m.IsStreamingServer(),
	}
}

// at sets the per-rendering fields.
func (d *TemplateData) at(req, msg int64, now time.Time) {
	d.RequestNumber, d.MessageNumber = req, msg
	if d.budget != nil {
		d.budget.reset()
	}
	d.now, d.uuid = now, ""
	d.TimestampUnix, d.TimestampUnixMilli, d.TimestampUnixNano = now.Unix(), now.UnixMilli(), now.UnixNano()
}

// Timestamp is when the rendering began, in RFC 3339 form.
func (d *TemplateData) Timestamp() string { return d.now.Format(time.RFC3339) }

// UUID is a version 4 UUID drawn from the run's seeded random source, the
// same for every use within one rendering.
func (d *TemplateData) UUID() string {
	if d.uuid == "" {
		d.uuid = newUUID(d.rng)
	}
	return d.uuid
}

// newUUID returns a random (version 4) UUID from rng.
func newUUID(rng *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

const (
	letters   = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	alpha     = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits    = "0123456789"
	printable = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
)

// baseFuncs are the functions templates are parsed with: sprig's, less
// getHostByName (a DNS lookup per call has no place in a load test), and
// ours. The random and the bounded ones are replaced per worker by
// workerFuncs.
func baseFuncs() template.FuncMap {
	fm := sprig.TxtFuncMap()
	delete(fm, "getHostByName")
	for k, v := range workerFuncs(rand.New(rand.NewPCG(0, 0)), newRenderBudget()) {
		fm[k] = v
	}
	return fm
}

// workerFuncs are the functions of one worker: seededFuncs and
// boundedFuncs, charged to budget.
func workerFuncs(rng *rand.Rand, budget *renderBudget) template.FuncMap {
	fm := seededFuncs(rng, budget)
	for k, v := range boundedFuncs(budget) {
		fm[k] = v
	}
	return fm
}

// seededFuncs are the template functions that draw from rng: ghz's, the
// names grpcpulse had before (randInt, randString) and sprig's random
// functions, so that a run's seed repeats its data. The strings they make
// are charged to budget.
func seededFuncs(rng *rand.Rand, budget *renderBudget) template.FuncMap {
	pick := func(fn, set string, n int) (string, error) {
		if err := budget.spend(fn, int64(max(n, 0))); err != nil {
			return "", err
		}
		var b strings.Builder
		b.Grow(max(n, 0))
		for range n {
			b.WriteByte(set[rng.IntN(len(set))])
		}
		return b.String(), nil
	}
	return template.FuncMap{
		// ghz: a random UUID.
		"newUUID": func() string { return newUUID(rng) },
		// ghz: n random letters and digits; n <= 0 means a random length
		// from 2 to 16.
		"randomString": func(n int) (string, error) {
			if n <= 0 {
				n = 2 + rng.IntN(15)
			}
			return pick("randomString", letters, n)
		},
		// ghz: a random integer in [min, max); min below 0 counts as 0 and
		// max at or below 0 as 1.
		"randomInt": func(lo, hi int) (int, error) {
			lo = max(lo, 0)
			if hi <= 0 {
				hi = 1
			}
			if hi <= lo {
				return 0, errors.New("randomInt: MAX must be above MIN")
			}
			return lo + rng.IntN(hi-lo), nil
		},
		// randInt returns a random integer in [min, max] (max included,
		// unlike sprig's randInt, which this name shadows).
		"randInt": func(lo, hi int) (int, error) {
			if hi < lo {
				return 0, errors.New("randInt: max is below min")
			}
			return lo + rng.IntN(hi-lo+1), nil
		},
		// randString returns n random letters and digits.
		"randString": func(n int) (string, error) { return pick("randString", letters, n) },
		// sprig's random functions, seeded.
		"randAlphaNum": func(n int) (string, error) { return pick("randAlphaNum", letters, n) },
		"randAlpha":    func(n int) (string, error) { return pick("randAlpha", alpha, n) },
		"randNumeric":  func(n int) (string, error) { return pick("randNumeric", digits, n) },
		"randAscii":    func(n int) (string, error) { return pick("randAscii", printable, n) },
		"randBytes": func(n int) (string, error) {
			if err := budget.spendTimes("randBytes", int64(max(n, 0)), 3); err != nil { // the bytes and their base64
				return "", err
			}
			b := make([]byte, max(n, 0))
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			return base64.StdEncoding.EncodeToString(b), nil
		},
		"uuidv4": func() string { return newUUID(rng) },
		"shuffle": func(s string) string {
			r := []rune(s)
			rng.Shuffle(len(r), func(i, j int) { r[i], r[j] = r[j], r[i] })
			return string(r)
		},
	}
}

// workerRand is the random source of one worker of a run with seed: a
// stream of its own, so that the sequence one worker draws does not depend
// on how the workers interleave.
func workerRand(seed int64, worker int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(worker)))
}
