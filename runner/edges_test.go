package runner

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// A templated request is rendered before the call's clock starts: the
// rendering is the tool's work, not the server's latency.
func TestRunTemplateRenderedBeforeStart(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	md := pulseMethod("Unary")
	var mu sync.Mutex
	var rendered []time.Time // when each request finished rendering (one worker: in call order)
	mark := func() string {
		mu.Lock()
		rendered = append(rendered, time.Now())
		mu.Unlock()
		return "x"
	}
	tmpl := template.Must(template.New("data").Funcs(templateFuncs(rand.New(rand.NewPCG(1, 2)))).
		Funcs(template.FuncMap{"mark": mark}).Parse(`{"id": {{.RequestNumber}}, "message": "{{mark}}"}`))
	reqs := &Requests{md: md.Input(), tmpl: tmpl}
	r, err := New(Options{Target: Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Load: Load{Concurrency: 1, Connections: 1, Total: 5}, Call: Call{Messages: 1, Template: true}}, md, reqs)
	if err != nil {
		t.Fatal(err)
	}
	rec := &tally{}
	if _, err := r.Run(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.calls) != 5 || len(rendered) != 5 {
		t.Fatalf("%d calls recorded, %d rendered; want 5 each", len(rec.calls), len(rendered))
	}
	for i, c := range rec.calls {
		if c.Start.Before(rendered[i]) || !c.Intended.Equal(c.Start) {
			t.Errorf("call %d: rendered at %s, intended %s, started %s: the rendering is timed",
				i, rendered[i].Format(time.StampNano), c.Intended.Format(time.StampNano), c.Start.Format(time.StampNano))
		}
	}
}
