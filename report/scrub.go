package report

import (
	"reflect"
	"slices"
	"strings"

	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// minSecretLen is the shortest secret value a Scrubber removes from text:
// shorter ones would cut ordinary words out of messages.
const minSecretLen = 4

// Scrubber removes what must not reach a report or a terminal from the text
// of a Summary: the secret values a run used (the values of redacted
// headers, the credentials of the target), wherever a server or an error
// echoes them, and control characters (Printable). The zero Scrubber knows
// no secrets and only escapes.
type Scrubber struct {
	secrets []string // longest first
}

// NewScrubber returns a Scrubber of the secrets in o, the options before
// RedactOptions: the values of the headers it redacts (each whole, and each
// word of 8 or more characters, the token of "Bearer TOKEN") and the
// target's user information (user:password, and the password).
func NewScrubber(o plan.Options) *Scrubber {
	sc := &Scrubber{}
	for _, headers := range [][]string{o.Metadata.Headers, o.Metadata.ReflectHeaders} {
		for _, h := range headers {
			key, value, ok := strings.Cut(h, ":")
			if !ok || !(secretHeader(key) || listedHeader(key, o.Metadata.Redact)) {
				continue
			}
			value = strings.TrimSpace(value)
			sc.add(value)
			for _, w := range strings.Fields(value) {
				if len(w) >= 8 {
					sc.add(w)
				}
			}
		}
	}
	if userinfo, ok := targetUserinfo(o.Target.Addr); ok {
		sc.add(userinfo)
		if _, password, ok := strings.Cut(userinfo, ":"); ok {
			sc.add(password)
		}
	}
	slices.SortFunc(sc.secrets, func(a, b string) int { return len(b) - len(a) })
	return sc
}

func (sc *Scrubber) add(secret string) {
	if len(secret) >= minSecretLen && !slices.Contains(sc.secrets, secret) {
		sc.secrets = append(sc.secrets, secret)
	}
}

// String returns s with every known secret replaced by REDACTED and its
// control characters escaped (Printable, on one line).
func (sc *Scrubber) String(s string) string {
	if sc != nil {
		for _, secret := range sc.secrets {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	return Printable(s, true)
}

// Summary scrubs every string of s in place (map keys too), and removes
// the credentials from its targets (RedactTarget).
func (sc *Scrubber) Summary(s *Summary) {
	if s == nil {
		return
	}
	truncateMessages(s.ErrorsByMessage)
	for i := range s.Methods {
		truncateMessages(s.Methods[i].ErrorsByMessage)
	}
	scrubValue(reflect.ValueOf(s).Elem(), sc.String)
	s.Target = RedactTarget(s.Target)
	s.Options.Target.Addr = RedactTarget(s.Options.Target.Addr)
	for i := range s.Sources {
		s.Sources[i].Target = RedactTarget(s.Sources[i].Target)
	}
}

// truncateMessages bounds each message of es (TruncateMessage).
func truncateMessages(es []ErrorCount) {
	for i := range es {
		es[i].Message = TruncateMessage(es[i].Message)
	}
}

// Sanitize is the zero Scrubber's Summary: it escapes the control
// characters of every string of s and removes credentials from its
// targets. ReadJSON applies it to every report it reads, so that no
// renderer shows a crafted report's escape sequences.
func Sanitize(s *Summary) { (*Scrubber)(nil).Summary(s) }

// scrubValue applies f to every settable string reachable from v: fields,
// elements, pointees and the string keys and values of maps.
func scrubValue(v reflect.Value, f func(string) string) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			if s := f(v.String()); s != v.String() {
				v.SetString(s)
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			scrubValue(v.Elem(), f)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				scrubValue(v.Field(i), f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			scrubValue(v.Index(i), f)
		}
	case reflect.Map:
		scrubMap(v, f)
	}
}

// scrubMap scrubs a map's string keys and its values (copied out, as map
// values cannot be set in place). Keys that become equal keep one value.
func scrubMap(v reflect.Value, f func(string) string) {
	if v.IsNil() {
		return
	}
	type entry struct{ k, v reflect.Value }
	var entries []entry
	iter := v.MapRange()
	for iter.Next() {
		k := reflect.New(v.Type().Key()).Elem()
		k.Set(iter.Key())
		val := reflect.New(v.Type().Elem()).Elem()
		val.Set(iter.Value())
		entries = append(entries, entry{k, val})
	}
	for _, e := range entries {
		old := reflect.New(v.Type().Key()).Elem()
		old.Set(e.k)
		scrubValue(e.k, f)
		scrubValue(e.v, f)
		v.SetMapIndex(old, reflect.Value{})
	}
	for _, e := range entries {
		v.SetMapIndex(e.k, e.v)
	}
}

// targetUserinfo is plan.TargetUserinfo.
func targetUserinfo(addr string) (string, bool) { return plan.TargetUserinfo(addr) }

// RedactTarget returns addr with its user information (user:password@)
// replaced by REDACTED@ (plan.RedactTarget), so that no report shows the
// credentials of a target; other addresses come back as they are.
func RedactTarget(addr string) string { return plan.RedactTarget(addr) }
