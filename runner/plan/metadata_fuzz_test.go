package plan

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzMetadata: any -H value is accepted with valid keys, or refused by an
// error that does not echo what follows the key.
func FuzzMetadata(f *testing.F) {
	for _, seed := range []string{"x-key: v", "authorization Bearer ", "authorization: ", ":authority: ", "grpc-timeout: ",
		"Bad Key: ", "k-bin: ", "", " : ", "x\t"} {
		f.Add(seed)
	}
	const secret = "SECRETTOKEN"
	f.Fuzz(func(t *testing.T, h string) {
		m := Metadata{Headers: []string{h + secret}, LookupEnv: func(string) (string, bool) { return "", false }}
		md, err := m.Call()
		if err != nil {
			// A value follows a key: something, then ':' or a space. (A lone
			// word is a key, which the error may name.)
			lead := strings.TrimLeftFunc(h, unicode.IsSpace)
			sep := func(r rune) bool { return r == ':' || unicode.IsSpace(r) }
			if lead != "" && lead[0] != ':' && strings.ContainsFunc(lead, sep) && strings.Contains(err.Error(), secret) {
				t.Fatalf("the error for %q echoes the value: %v", h+secret, err)
			}
			return
		}
		for k := range md {
			if !validKey.MatchString(k) || strings.HasPrefix(k, "grpc-") {
				t.Fatalf("%q gave key %q", h+secret, k)
			}
		}
	})
}
