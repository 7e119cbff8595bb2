package runner

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
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

// When the client itself stalls (the pacer's clock jumps a second), the
// burst of calls that were due meanwhile is the client's doing: pacer-late,
// not late starts blamed on busy workers, and still counted from when each
// was due.
func TestPacerBlamesClientStall(t *testing.T) {
	t.Parallel()
	var jump atomic.Int64
	s := &run{Runner: &Runner{opts: Options{Load: Load{Total: 60}}}, stopCh: make(chan struct{}),
		clock: func() time.Time { return time.Now().Add(time.Duration(jump.Load())) }}
	tickets := make(chan ticket)
	from := time.Now()
	go func() {
		defer close(tickets)
		if err := s.paceFrom(context.Background(), constantPacer(100), from, time.Time{}, true, tickets); err != nil {
			t.Error(err)
		}
	}()
	var got []ticket
	for tk := range tickets {
		got = append(got, tk)
		if len(got) == 11 {
			jump.Store(int64(time.Second)) // the client froze for a second after handing out call 10
		}
	}
	if len(got) != 60 {
		t.Fatalf("%d tickets, want 60", len(got))
	}
	for i, tk := range got {
		if tk.late {
			t.Errorf("call %d marked late: busy workers blamed for the client's stall", i)
		}
		if i > 10 && !tk.intended.Equal(from.Add(time.Duration(i)*10*time.Millisecond)) {
			t.Errorf("call %d counts from %s, not from when it was due", i, tk.intended.Sub(from))
		}
	}
	// Calls 11 to 59 were due during the freeze (a loaded machine may add a
	// few of the first eleven whose timer overslept).
	if n := s.pacerLate.Load(); n < 49 || n > 60 {
		t.Errorf("pacer-late %d, want the 49 calls due during the client's freeze", n)
	}
}
