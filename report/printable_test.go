package report

import (
	"testing"
	"unicode/utf8"
)

func TestPrintable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		oneLine bool
		want    string
	}{
		{"plain", "deadline exceeded after 2s", false, "deadline exceeded after 2s"},
		{"unicode", "délai dépassé — µs", false, "délai dépassé — µs"},
		{"clear screen", "boom\x1b[2J", false, `boom\x1b[2J`},
		{"window title", "\x1b]0;pwned\x07", false, `\x1b]0;pwned\x07`},
		{"bare CR hides text", "ok\rFAIL", false, `ok\rFAIL`},
		{"tab kept", "a\tb", false, "a\tb"},
		{"newline kept", "a\nb", false, "a\nb"},
		{"newline on one line", "a\nb", true, `a\nb`},
		{"DEL", "a\x7fb", false, `a\x7fb`},
		{"C1 CSI", "a\u009b31mb", false, `a\u009b31mb`},
		{"invalid UTF-8", "a\xffb", false, `a\xffb`},
		{"bidi override", "user\u202Egnp.exe", false, `user\u202egnp.exe`},
		{"bidi isolates", "\u2066a\u2067b\u2068c\u2069", false, `\u2066a\u2067b\u2068c\u2069`},
		{"zero width", "a\u200Bb\u200Cc\u200Dd\u200Ee\u200Ff", false, `a\u200bb\u200cc\u200dd\u200ee\u200ff`},
		{"line separators", "a\u2028b\u2029c", false, `a\u2028b\u2029c`},
		{"BOM", "\uFEFFok", false, `\ufeffok`},
		{"other Cf", "a\u00ADb\u2060c", false, `a\u00adb\u2060c`},
		{"printable non-ASCII kept", "日本 ✓ é", false, "日本 ✓ é"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Printable(tt.in, tt.oneLine); got != tt.want {
				t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPrintableCleanDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = Printable("nothing to escape here", true) }); n != 0 {
		t.Errorf("clean text allocates %v times", n)
	}
}

func FuzzPrintable(f *testing.F) {
	for _, s := range []string{"", "a\x1b[2Jb", "\xff\xfe", "a\u009bb\r\n"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, oneLine bool) {
		got := Printable(s, oneLine)
		for i := 0; i < len(got); {
			r, size := utf8.DecodeRuneInString(got[i:])
			if needsEscape(r, size, oneLine) {
				t.Fatalf("Printable(%q) = %q keeps a control character at %d", s, got, i)
			}
			i += size
		}
	})
}
