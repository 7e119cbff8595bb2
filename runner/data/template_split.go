package data

import "strings"

// splitMessages cuts template text into the text of each message, so that
// a call renders only the message it sends. It follows the JSON structure of
// the text (objects one after another, or in a top-level array when lists
// is set) and steps over template actions, which may stand anywhere inside
// a message, quoted or not. It gives up (ok false) when the text is not of
// that shape: an action or a scalar between messages, for example a
// {{range}} that writes several messages. The caller then renders the text
// as a whole.
func splitMessages(text string, lists bool) (msgs []string, ok bool) {
	depth, start := 0, 0
	inArray, inString := false, false
	for i := 0; i < len(text); {
		if strings.HasPrefix(text[i:], "{{") {
			if depth == 0 {
				return nil, false
			}
			end := skipAction(text, i)
			if end < 0 {
				return nil, false
			}
			i = end
			continue
		}
		c := text[i]
		i++
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch {
		case depth > 0:
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					msgs = append(msgs, text[start:i])
				}
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c == '{':
			depth, start = 1, i-1
		case c == '[' && lists && !inArray:
			inArray = true
		case c == ',' && inArray:
		case c == ']' && inArray:
			inArray = false
		default:
			return nil, false
		}
	}
	if depth != 0 || inArray {
		return nil, false
	}
	return msgs, true
}

// skipAction returns the index just past the template action that starts at
// i, or -1 when it is not closed. Quoted strings, raw strings and character
// constants inside the action may hold "}}".
func skipAction(text string, i int) int {
	j := i + 2
	if strings.HasPrefix(text[j:], "/*") {
		end := strings.Index(text[j:], "*/")
		if end < 0 {
			return -1
		}
		j += end + 2
	}
	for j < len(text) {
		switch c := text[j]; c {
		case '"', '\'':
			j++
			for j < len(text) && text[j] != c {
				if text[j] == '\\' {
					j++
				}
				j++
			}
			j++
		case '`':
			end := strings.IndexByte(text[j+1:], '`')
			if end < 0 {
				return -1
			}
			j += end + 2
		case '}':
			if strings.HasPrefix(text[j:], "}}") {
				return j + 2
			}
			j++
		default:
			j++
		}
	}
	return -1
}
