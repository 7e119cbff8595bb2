package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable returns s with every control character written as an escape
// (\x1b, \r, \x7f, \u009b) and every invalid UTF-8 byte as \xNN, so that
// text a server controls (status messages, error details, header values)
// cannot clear the screen, set the window title, move the cursor or hide
// text with a bare carriage return when it is printed. Tabs stay as they
// are; so do newlines, unless oneLine is set. s comes back unchanged, and
// without allocating, when it has nothing to escape.
func Printable(s string, oneLine bool) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if needsEscape(r, size, oneLine) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !needsEscape(r, size, oneLine):
			b.WriteString(s[i : i+size])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether the rune r (size bytes of UTF-8) must not be
// printed as it is: C0 controls but tab (and newline unless oneLine), DEL,
// the C1 controls (U+0080–U+009F: a terminal may read U+009B as CSI), the
// format characters (Unicode category Cf: bidi overrides and isolates such
// as U+202E and U+2066–U+2069, zero-width U+200B–U+200F, U+FEFF), the line
// and paragraph separators U+2028/U+2029, and invalid UTF-8: a server could
// otherwise reorder or hide what a report shows.
func needsEscape(r rune, size int, oneLine bool) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return true
	case r == '\t':
		return false
	case r == '\n':
		return oneLine
	case r < 0xa0:
		return r < 0x20 || r >= 0x7f
	}
	return r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r)
}

// MaxMessageBytes bounds a status message as reports keep and print it: a
// server may send megabytes, and a report stays small and fast to render.
const MaxMessageBytes = 2048

// TruncateMessage returns msg cut to at most MaxMessageBytes (at a rune
// boundary), followed by " ... (N bytes)" with its original length, or msg
// itself when it is short enough.
// A message already cut (at most MaxMessageBytes and its tail) is left as
// it is, so a report read back keeps the original length.
func TruncateMessage(msg string) string {
	if !MessageTooLong(msg) {
		return msg
	}
	return MessageHead(msg) + MessageTail(len(msg))
}

// MessageTooLong says whether TruncateMessage cuts msg.
func MessageTooLong(msg string) bool { return len(msg) > MaxMessageBytes+32 }

// MessageHead is the part of msg that TruncateMessage keeps.
func MessageHead(msg string) string {
	if !MessageTooLong(msg) {
		return msg
	}
	cut := MaxMessageBytes
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut]
}

// MessageTail is what TruncateMessage writes after the head of a message
// of n bytes.
func MessageTail(n int) string { return fmt.Sprintf(" ... (%d bytes)", n) }
