package data

import (
	"fmt"
	"strings"
	"text/template"

	"google.golang.org/grpc/metadata"
)

// Headers are the request metadata values that hold template
// actions (with --template), compiled once for a run.
type Headers struct {
	static metadata.MD
	values []headerValue
	set    *template.Template
}

// headerValue is the templated value at static[key][index].
type headerValue struct {
	key   string
	index int
	name  string // of its template in set
}

// CompileHeaders compiles the values of md that hold "{{". It returns nil
// when none does. Unless t is TemplatedEnv, a value that calls env or
// expandenv is refused (ErrTemplateEnv).
func CompileHeaders(md metadata.MD, t Templating) (*Headers, error) {
	h := &Headers{static: md, set: template.New("headers").Funcs(baseFuncs())}
	for key, vals := range md {
		for i, v := range vals {
			if !strings.Contains(v, "{{") {
				continue
			}
			name := fmt.Sprintf("header %s #%d", key, i)
			if _, err := h.set.New(name).Parse(v); err != nil {
				return nil, fmt.Errorf("--template: header %q: %w", key, err)
			}
			if t != TemplatedEnv {
				if err := refuseEnv(h.set.Lookup(name)); err != nil {
					return nil, fmt.Errorf("--template: header %q: %w", key, err)
				}
			}
			h.values = append(h.values, headerValue{key: key, index: i, name: name})
		}
	}
	if len(h.values) == 0 {
		return nil, nil
	}
	return h, nil
}

// forWorker returns the worker's own copy, drawing from funcs.
func (h *Headers) forWorker(funcs template.FuncMap) *workerHeaders {
	set := template.Must(h.set.Clone()).Funcs(funcs)
	w := &workerHeaders{h: h, tmpls: make([]*template.Template, len(h.values))}
	for i, v := range h.values {
		w.tmpls[i] = set.Lookup(v.name)
	}
	return w
}

// workerHeaders is one worker's header templates.
type workerHeaders struct {
	h     *Headers
	tmpls []*template.Template
}

// render returns the metadata of one call, rendered with d.
func (w *workerHeaders) render(buf *limitedBuffer, d *TemplateData) (metadata.MD, error) {
	md := w.h.static.Copy()
	for i, v := range w.h.values {
		buf.Reset()
		if err := w.tmpls[i].Execute(buf, d); err != nil {
			return nil, fmt.Errorf("header %q: %w", v.key, err)
		}
		value := buf.String()
		if !strings.HasSuffix(v.key, "-bin") {
			for _, r := range value {
				if r < 0x20 || r > 0x7e {
					return nil, fmt.Errorf("header %q rendered as %q: only printable ASCII is allowed (or use a key ending in -bin)", v.key, value)
				}
			}
		}
		md[v.key][v.index] = value
	}
	return md, nil
}
