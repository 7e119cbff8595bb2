package data

import (
	"bytes"
	"cmp"
	"fmt"
	stdreflect "reflect"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// MaxRendered bounds one rendering of a template, in bytes: the text it
// writes, and apart from it what the functions it calls make on the way
// (strings, lists). It is the -d limit: a template makes no more than a
// data file could hold, so {{randomString 100000000}}, {{repeat ...}} or
// {{range until 30000000}} fail with an error instead of taking hundreds of
// megabytes (and a loop over loops runs out of its budget, not of time).
const MaxRendered = 64 << 20

// limitedBuffer is the buffer a template renders into: its writes fail
// once it would hold more than limit bytes (0: MaxRendered), which ends the
// rendering.
type limitedBuffer struct {
	bytes.Buffer
	limit int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if err := b.room(len(p)); err != nil {
		return 0, err
	}
	return b.Buffer.Write(p)
}

// WriteString is Write for strings (text/template writes text nodes with
// it when the writer has it).
func (b *limitedBuffer) WriteString(s string) (int, error) {
	if err := b.room(len(s)); err != nil {
		return 0, err
	}
	return b.Buffer.WriteString(s)
}

func (b *limitedBuffer) room(n int) error {
	limit := cmp.Or(b.limit, MaxRendered)
	if b.Len()+n > limit {
		return fmt.Errorf("the rendered text is larger than %s, the limit of one rendering (like -d)", mib(int64(limit)))
	}
	return nil
}

// mib writes n bytes in MiB, or in bytes below one MiB.
func mib(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// renderBudget is what the functions of one rendering may still make, in
// bytes (approximately: a list element counts 16). Each worker has one; it
// is reset when a rendering begins (TemplateData.at).
type renderBudget struct{ limit, left int64 }

func newRenderBudget() *renderBudget { return &renderBudget{limit: MaxRendered, left: MaxRendered} }

func (b *renderBudget) reset() { b.left = b.limit }

// spend takes n bytes for the call fn, or fails naming it.
func (b *renderBudget) spend(fn string, n int64) error {
	if n < 0 || n > b.left {
		return fmt.Errorf("%s: this would make more than the %s one rendering may make (like -d)", fn, mib(b.limit))
	}
	b.left -= n
	return nil
}

// spendTimes takes count × size bytes, refusing a product that overflows.
func (b *renderBudget) spendTimes(fn string, count, size int64) error {
	if count < 0 || size < 0 || (size > 0 && count > b.limit/size+1) {
		return b.spend(fn, -1)
	}
	return b.spend(fn, count*size)
}

// listElem is what one element of a list made by a function counts.
const listElem = 16

// boundedFuncs are sprig's functions whose arguments say how much they make
// (a count, a width, a list to copy), charged to b before they run.
func boundedFuncs(b *renderBudget) template.FuncMap {
	sp := sprig.TxtFuncMap()
	push := sp["push"].(func(any, any) []any)
	mustPush := sp["mustPush"].(func(any, any) ([]any, error))
	prepend := sp["prepend"].(func(any, any) []any)
	mustPrepend := sp["mustPrepend"].(func(any, any) ([]any, error))
	concat := sp["concat"].(func(...any) any)
	seq := sp["seq"].(func(...int) string)
	indent := sp["indent"].(func(int, string) string)
	join := sp["join"].(func(string, any) string)
	until := func(fn string, start, stop, step int) ([]int, error) {
		// append's doubling: up to twice the elements' 8 bytes
		if err := b.spendTimes(fn, stepCount(start, stop, step), listElem); err != nil {
			return nil, err
		}
		return sp["untilStep"].(func(int, int, int) []int)(start, stop, step), nil
	}
	fm := template.FuncMap{
		"printf": func(format string, args ...any) (string, error) {
			if err := b.spend("printf", formatSize(format, args)); err != nil {
				return "", err
			}
			return fmt.Sprintf(format, args...), nil
		},
		"repeat": func(count int, s string) (string, error) {
			if err := b.spendTimes("repeat", int64(count), int64(len(s))); err != nil {
				return "", err
			}
			return strings.Repeat(s, max(count, 0)), nil
		},
		"until": func(count int) ([]int, error) {
			step := 1
			if count < 0 {
				step = -1
			}
			return until("until", 0, count, step)
		},
		"untilStep": func(start, stop, step int) ([]int, error) { return until("untilStep", start, stop, step) },
		"seq": func(params ...int) (string, error) {
			var n int64
			switch len(params) {
			case 1:
				n = max(stepCount(1, params[0]+1, 1), stepCount(1, params[0]-1, -1))
			case 2:
				n = max(stepCount(params[0], params[1]+1, 1), stepCount(params[0], params[1]-1, -1))
			case 3:
				n = max(stepCount(params[0], params[2]+1, params[1]), stepCount(params[0], params[2]-1, params[1]))
			}
			if err := b.spendTimes("seq", n, 2*listElem); err != nil { // the list, then the text
				return "", err
			}
			return seq(params...), nil
		},
		"indent": func(spaces int, s string) (string, error) {
			if err := b.spendTimes("indent", int64(strings.Count(s, "\n")+1), int64(spaces)); err != nil {
				return "", err
			}
			return indent(spaces, s), b.spend("indent", int64(len(s)))
		},
		"nindent": func(spaces int, s string) (string, error) {
			if err := b.spendTimes("nindent", int64(strings.Count(s, "\n")+1), int64(spaces)); err != nil {
				return "", err
			}
			return "\n" + indent(spaces, s), b.spend("nindent", int64(len(s)))
		},
		"join": func(sep string, v any) (string, error) {
			n, size := listSize(v)
			if err := b.spendTimes("join", n, int64(len(sep))); err != nil {
				return "", err
			}
			if err := b.spend("join", size); err != nil {
				return "", err
			}
			return join(sep, v), nil
		},
		"append":      func(l, v any) ([]any, error) { return push(l, v), b.spendList("append", l) },
		"push":        func(l, v any) ([]any, error) { return push(l, v), b.spendList("push", l) },
		"prepend":     func(l, v any) ([]any, error) { return prepend(l, v), b.spendList("prepend", l) },
		"mustAppend":  func(l, v any) ([]any, error) { return charged(b.spendList("mustAppend", l), mustPush, l, v) },
		"mustPush":    func(l, v any) ([]any, error) { return charged(b.spendList("mustPush", l), mustPush, l, v) },
		"mustPrepend": func(l, v any) ([]any, error) { return charged(b.spendList("mustPrepend", l), mustPrepend, l, v) },
		"concat": func(lists ...any) (any, error) {
			for _, l := range lists {
				if err := b.spendList("concat", l); err != nil {
					return nil, err
				}
			}
			return concat(lists...), nil
		},
	}
	return fm
}

// charged runs f when spending succeeded.
func charged(spent error, f func(any, any) ([]any, error), l, v any) ([]any, error) {
	if spent != nil {
		return nil, spent
	}
	return f(l, v)
}

// spendList charges the copy of list l (and one element more).
func (b *renderBudget) spendList(fn string, l any) error {
	n, _ := listSize(l)
	return b.spendTimes(fn, n+1, listElem)
}

// listSize is the length of v when it is a slice or an array (0 otherwise),
// and the bytes of its string elements plus listElem for every other one.
func listSize(v any) (n, size int64) {
	switch v := v.(type) {
	case []string:
		for _, s := range v {
			size += int64(len(s))
		}
		return int64(len(v)), size
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				size += int64(len(s))
			} else {
				size += listElem
			}
		}
		return int64(len(v)), size
	}
	rv := stdreflect.ValueOf(v)
	if k := rv.Kind(); k != stdreflect.Slice && k != stdreflect.Array {
		return 0, 0
	}
	return int64(rv.Len()), int64(rv.Len()) * listElem
}

// stepCount is how many values sprig's untilStep(start, stop, step) makes.
func stepCount(start, stop, step int) int64 {
	var span, by uint64
	switch {
	case stop > start && step > 0:
		span, by = uint64(stop)-uint64(start), uint64(step)
	case stop < start && step < 0:
		span, by = uint64(start)-uint64(stop), -uint64(step)
	default:
		return 0
	}
	n := span / by
	if span%by != 0 {
		n++
	}
	if n > 1<<62 {
		return -1 // more than any budget; spendTimes refuses it
	}
	return int64(n)
}

// formatSize bounds what fmt.Sprintf(format, args...) makes: the format,
// and every width and precision in it (written, or given by * from an int
// argument), beside listElem per argument. A width such as %0100000000d
// is refused before Sprintf pads to it.
func formatSize(format string, args []any) int64 {
	size := int64(len(format)) + int64(len(args))*listElem
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		for i++; i < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[i]) >= 0; i++ {
			if c := format[i]; c >= '1' && c <= '9' {
				var n int64
				for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
					if n = n*10 + int64(format[i]-'0'); n > MaxRendered {
						return -1
					}
				}
				size += n
				i--
			}
		}
	}
	if strings.Contains(format, "*") {
		for _, a := range args {
			if n, ok := a.(int); ok {
				if n < -MaxRendered || n > MaxRendered {
					return -1
				}
				size += int64(max(n, -n))
			}
		}
	}
	return size
}
