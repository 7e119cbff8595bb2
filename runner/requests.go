package runner

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"text/template"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Requests are the request messages of a run, ready to send. Static data is
// marshalled once; templated data is compiled once and rendered for every
// call. A unary or server-streaming call sends message n mod len (n is the
// call's request number); a client or bidi stream sends messages 0, 1, ... in
// turn, cycling when it sends more than there are.
type Requests struct {
	frames   []*frame
	tmpl     *template.Template
	md       protoreflect.MessageDescriptor
	resolver Resolver
}

// TemplateData is what a request template sees.
type TemplateData struct {
	// RequestNumber counts the run's calls from 0 (warm-up calls included).
	RequestNumber int64
	// WorkerID is the worker making the call, from 0.
	WorkerID int
}

// NewRequests prepares data (JSON messages of type md; none means one empty
// message) for a run. With templated, data is a text/template rendered per
// call; it is tried once here so that a broken template fails before the run.
func NewRequests(md protoreflect.MessageDescriptor, data []byte, templated bool, r Resolver) (*Requests, error) {
	reqs := &Requests{md: md, resolver: r}
	if templated {
		t, err := template.New("data").Funcs(templateFuncs(rand.New(rand.NewPCG(1, 2)))).Parse(string(data))
		if err != nil {
			return nil, fmt.Errorf("--template: %w", err)
		}
		reqs.tmpl = t
		if _, err := reqs.render(t, TemplateData{}); err != nil {
			return nil, fmt.Errorf("--template: rendered for request 0: %w", err)
		}
		return reqs, nil
	}
	frames, err := reqs.parse(data)
	if err != nil {
		if bytes.Contains(data, []byte("{{")) {
			err = fmt.Errorf("%w\n(the data looks like a template: add --template to render {{...}} per call)", err)
		}
		return nil, err
	}
	reqs.frames = frames
	return reqs, nil
}

// Size is the marshalled size in bytes of the first request message (as
// rendered for request 0 when templated): what reports compare as the
// request size.
func (q *Requests) Size() int64 {
	frames := q.frames
	if q.tmpl != nil {
		frames, _ = q.render(q.tmpl, TemplateData{}) // NewRequests rendered it once already
	}
	if len(frames) == 0 {
		return 0
	}
	return int64(frames[0].data.Len())
}

// Templated reports whether the requests are rendered per call.
func (q *Requests) Templated() bool { return q.tmpl != nil }

func (q *Requests) parse(data []byte) ([]*frame, error) {
	msgs, err := ParseMessages(q.md, data, q.resolver)
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		msgs = append(msgs, dynamicpb.NewMessage(q.md))
	}
	frames := make([]*frame, len(msgs))
	for i, m := range msgs {
		b, err := proto.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("request message %d: %w", i+1, err)
		}
		frames[i] = newFrame(b)
	}
	return frames, nil
}

func (q *Requests) render(t *template.Template, d TemplateData) ([]*frame, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return nil, err
	}
	return q.parse(buf.Bytes())
}

// forWorker returns what one worker sends: the static frames, or a template
// with the worker's own random source (so that workers share no lock).
func (q *Requests) forWorker(id int) workerRequests {
	w := workerRequests{frames: q.frames, q: q, id: id}
	if q.tmpl != nil {
		w.tmpl = template.Must(q.tmpl.Clone()).Funcs(templateFuncs(rand.New(rand.NewPCG(uint64(id), 0x9e3779b97f4a7c15))))
	}
	return w
}

// workerRequests is one worker's view of the requests; used by one goroutine.
type workerRequests struct {
	frames []*frame
	tmpl   *template.Template
	q      *Requests
	id     int
}

// next returns the messages of call n: the static ones, or those rendered
// for n.
func (w *workerRequests) next(n int64) ([]*frame, error) {
	if w.tmpl == nil {
		return w.frames, nil
	}
	return w.q.render(w.tmpl, TemplateData{RequestNumber: n, WorkerID: w.id})
}

const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func templateFuncs(rng *rand.Rand) template.FuncMap {
	return template.FuncMap{
		// randInt returns a random integer in [min, max].
		"randInt": func(lo, hi int) (int, error) {
			if hi < lo {
				return 0, errors.New("randInt: max is below min")
			}
			return lo + rng.IntN(hi-lo+1), nil
		},
		// randString returns n random letters and digits.
		"randString": func(n int) string {
			var b strings.Builder
			for range n {
				b.WriteByte(letters[rng.IntN(len(letters))])
			}
			return b.String()
		},
	}
}
