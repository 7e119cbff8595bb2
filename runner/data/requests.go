package data

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"text/template"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Requests are the request messages of a run, ready to send. Static data is
// marshalled once; templated data is compiled once and rendered for every
// call. A unary or server-streaming call sends message n mod len (n is the
// call's request number); a client or bidi stream sends messages 0, 1, ... in
// turn, cycling when it sends more than there are.
//
// Templated data made of separate messages (objects one after another, or a
// JSON array of them) is cut into one template per message, so that a call
// renders only the message it sends; a stream renders each message as it
// sends it. Other templated text (a {{range}} writing several messages, say)
// is rendered whole and the message picked from the result.
type Requests struct {
	frames   []*Frame
	tmpl     *template.Template // the whole text; nil for static data
	msgs     []string           // the names of the per-message templates in tmpl; nil: render tmpl whole
	md       protoreflect.MessageDescriptor
	resolver Resolver
}

// Templating is how a run takes its data and metadata values: as they are,
// or as templates rendered per call, which may or may not read the
// environment.
type Templating uint8

const (
	// Static data is sent as it is.
	Static Templating = iota
	// Templated data is a text/template rendered per call; a template that
	// calls env or expandenv is refused (ErrTemplateEnv).
	Templated
	// TemplatedEnv is Templated with env and expandenv allowed.
	TemplatedEnv
)

// NewRequests prepares data (JSON messages of type md; none means one empty
// message) for a run. Templated, data is a text/template rendered per
// call; each of its messages is tried once here so that a broken template
// fails before the run.
func NewRequests(md protoreflect.MessageDescriptor, data []byte, t Templating, r Resolver) (*Requests, error) {
	reqs := &Requests{md: md, resolver: r}
	if t != Static {
		if err := reqs.compile(string(data)); err != nil {
			return nil, fmt.Errorf("--template: %w", err)
		}
		if t != TemplatedEnv {
			if err := refuseEnv(reqs.tmpl); err != nil {
				return nil, fmt.Errorf("--template: %w", err)
			}
		}
		w := reqs.ForWorker(0, &RunTemplates{})
		for i := range max(int64(len(reqs.msgs)), 1) { // each message once
			if _, err := w.render(i, 0, i); err != nil {
				return nil, fmt.Errorf("--template: rendered for request %d: %w", i, err)
			}
		}
		return reqs, nil
	}
	frames, err := reqs.parse(data, false)
	if err != nil {
		if bytes.Contains(data, []byte("{{")) {
			err = fmt.Errorf("%w\n(the data looks like a template: add --template to render {{...}} per call)", err)
		}
		return nil, err
	}
	reqs.frames = frames
	return reqs, nil
}

// compile parses text as a whole (so that errors name the line in the whole
// text) and, when it splits into messages that each parse alone, as one
// template per message.
func (q *Requests) compile(text string) error {
	root, err := template.New("data").Funcs(baseFuncs()).Parse(text)
	if err != nil {
		return err
	}
	q.tmpl = root
	parts, ok := splitMessages(text, !arrayIsMessage(q.md))
	if !ok || len(parts) == 0 {
		return nil
	}
	set := template.Must(root.Clone())
	names := make([]string, len(parts))
	for i, p := range parts {
		names[i] = "message " + strconv.Itoa(i+1)
		if _, err := set.New(names[i]).Parse(p); err != nil {
			return nil // an action spans messages: render the text whole
		}
	}
	q.tmpl, q.msgs = set, names
	return nil
}

// Size is the marshalled size in bytes of the first request message (as
// rendered for request 0 when templated): what reports compare as the
// request size.
func (q *Requests) Size() int64 {
	f := q.firstFrame()
	if f == nil {
		return 0
	}
	return int64(f.data.Len())
}

func (q *Requests) firstFrame() *Frame {
	if q.tmpl == nil {
		if len(q.frames) == 0 {
			return nil
		}
		return q.frames[0]
	}
	w := q.ForWorker(0, &RunTemplates{})
	f, _ := w.render(0, 0, 0) // NewRequests rendered it once already
	return f
}

// Templated reports whether the requests are rendered per call.
func (q *Requests) Templated() bool { return q.tmpl != nil }

// parse makes the frames of data's messages, an empty message for no data;
// rendered data (a template's) may also be an empty list.
func (q *Requests) parse(data []byte, rendered bool) ([]*Frame, error) {
	msgs, err := ParseMessages(q.md, data, q.resolver)
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		if len(bytes.TrimSpace(data)) > 0 && !rendered {
			// []: calls cycle through the messages, and there are none.
			return nil, errors.New("the request data is an empty list ([]): give at least one message, or leave -d out to send empty messages")
		}
		msgs = append(msgs, dynamicpb.NewMessage(q.md))
	}
	frames := make([]*Frame, len(msgs))
	for i, m := range msgs {
		f, err := marshalFrame(m)
		if err != nil {
			return nil, fmt.Errorf("request message %d: %w", i+1, err)
		}
		frames[i] = f
	}
	return frames, nil
}

// RunTemplates is what the templates of one run share besides the data.
type RunTemplates struct {
	// Seed seeds each worker's random source (with the worker's id).
	Seed int64
	// Method is the method's fields (MethodData).
	Method TemplateData
	// Stream is set when the method is client or bidi streaming: calls
	// start at message 0.
	Stream bool
	// Headers are the run's templated metadata values; nil when none is.
	Headers *Headers
}

// ForWorker returns what one worker sends: the static frames, or templates
// with the worker's own random source (so that workers share no lock and
// each draws the same sequence in every run with the same seed).
func (q *Requests) ForWorker(id int, tr *RunTemplates) Worker {
	w := Worker{frames: q.frames, q: q}
	if q.tmpl == nil && tr.Headers == nil {
		return w
	}
	rng := workerRand(tr.Seed, id)
	w.data = tr.Method
	w.data.WorkerID, w.data.rng, w.data.budget = id, rng, newRenderBudget()
	w.stream = tr.Stream
	funcs := workerFuncs(rng, w.data.budget)
	if q.tmpl != nil {
		w.tmpl = template.Must(q.tmpl.Clone()).Funcs(funcs)
		for _, name := range q.msgs {
			w.msgs = append(w.msgs, w.tmpl.Lookup(name))
		}
	}
	if tr.Headers != nil {
		w.headers = tr.Headers.forWorker(funcs)
	}
	return w
}

// Worker is one worker's view of the requests; used by one
// goroutine at a time (a bidi stream's sender renders while the worker
// waits for the stream to end).
type Worker struct {
	frames  []*Frame
	q       *Requests
	tmpl    *template.Template   // the worker's clone; nil: static data
	msgs    []*template.Template // per-message templates of tmpl; nil: render tmpl whole
	headers *workerHeaders       // nil: static metadata
	stream  bool
	data    TemplateData
	buf     limitedBuffer // bounded by MaxRendered
	one     [1]*Frame
}

// Frames returns the static frames (nil when the data is templated).
func (w *Worker) Frames() []*Frame { return w.frames }

// PerCall reports whether each call renders its message or its metadata
// (then Next gives them); otherwise every call sends Frames.
func (w *Worker) PerCall() bool { return w.tmpl != nil || w.headers != nil }

// Next returns the messages of call n: the static ones, or the one rendered
// for n (message 0 of a stream), and, when headers are templated, the
// call's metadata (nil otherwise).
func (w *Worker) Next(n int64) ([]*Frame, metadata.MD, error) {
	if w.tmpl == nil && w.headers == nil {
		return w.frames, nil, nil
	}
	frames := w.frames
	if w.tmpl != nil {
		index := n
		if w.stream {
			index = 0
		}
		f, err := w.render(n, 0, index)
		if err != nil {
			return nil, nil, err
		}
		w.one[0] = f
		frames = w.one[:]
	} else {
		w.data.at(n, 0, time.Now())
	}
	if w.headers == nil {
		return frames, nil, nil
	}
	md, err := w.headers.render(&w.buf, &w.data) // the same call data as the message: one UUID per call
	return frames, md, err
}

// Message returns message k of a client or bidi stream whose first
// messages are frames: static, or rendered now for k.
func (w *Worker) Message(frames []*Frame, k int) (*Frame, error) {
	if w.tmpl == nil || k == 0 {
		return frames[k%len(frames)], nil
	}
	f, err := w.render(w.data.RequestNumber, int64(k), int64(k))
	if err != nil {
		return nil, fmt.Errorf("--template: rendering request %d, stream message %d: %w", w.data.RequestNumber, k, err)
	}
	return f, nil
}

// render renders message index of request req (message msg of its stream).
func (w *Worker) render(req, msg, index int64) (*Frame, error) {
	w.data.at(req, msg, time.Now())
	w.buf.Reset()
	if w.msgs == nil {
		if err := w.tmpl.Execute(&w.buf, &w.data); err != nil {
			return nil, err
		}
		frames, err := w.q.parse(w.buf.Bytes(), true)
		if err != nil {
			return nil, err
		}
		return frames[index%int64(len(frames))], nil
	}
	i := index % int64(len(w.msgs))
	if err := w.msgs[i].Execute(&w.buf, &w.data); err != nil {
		return nil, err
	}
	msgs, err := ParseMessages(w.q.md, w.buf.Bytes(), w.q.resolver)
	if err != nil {
		var de *DataError
		if errors.As(err, &de) {
			de.Message = int(i) + 1 // its place in the data, not in the rendered text
		}
		return nil, err
	}
	if len(msgs) != 1 {
		return nil, fmt.Errorf("request message %d rendered as %d messages, want 1", i+1, len(msgs))
	}
	f, err := marshalFrame(msgs[0])
	if err != nil {
		return nil, fmt.Errorf("request message %d: %w", i+1, err)
	}
	return f, nil
}
