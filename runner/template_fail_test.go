package runner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// A template that fails to render mid-run stops the run at once: Run
// returns a *Failure beside a complete Outcome, the calls before it are
// recorded and the recorder ended. A stream whose later message fails is
// cut at once rather than left to the drain limit (here an hour: the call
// timeout's plus a second) on a server waiting for that message.
func TestRunTemplateFailureStops(t *testing.T) {
	t.Parallel()
	const fail = `{{if and (eq .RequestNumber 2) (eq .MessageNumber 1)}}{{fail "no such user"}}{{end}}`
	tests := []struct {
		method, pacing string
		want           string // what the server received, in order (a prefix of it)
		err            string
	}{
		{"Unary", "", "0/r0 0/r1", "--template: rendering request 2: "},
		{"ClientStream", "", "0/r0 1/r0 2/r0 0/r1 1/r1 2/r1", "--template: rendering request 2, stream message 1: "},
		{"Bidi", plan.PacingPipeline, "0/r0 1/r0 2/r0 0/r1 1/r1 2/r1", "--template: rendering request 2, stream message 1: "},
		{"Bidi", plan.PacingPingPong, "0/r0 1/r0 2/r0 0/r1 1/r1 2/r1", "--template: rendering request 2, stream message 1: "},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.pacing, func(t *testing.T) {
			t.Parallel()
			body := `{"id": {{.MessageNumber}}, "message": "r{{.RequestNumber}}` + fail + `"}`
			if tt.method == "Unary" {
				body = `{"message": "r{{.RequestNumber}}{{if eq .RequestNumber 2}}{{fail "no such user"}}{{end}}"}`
			}
			s := &seen{}
			srv := watchedServer(t, s)
			md, messages := pulseMethod(tt.method), 3
			if tt.method == "Unary" {
				messages = 1
			}
			reqs, err := data.NewRequests(md.Input(), []byte(body), data.Templated, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := New(plan.Options{
				Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
				Load:   plan.Load{Concurrency: 1, Connections: 1, Total: 20},
				Call:   plan.Call{Messages: messages, Template: true, Timeout: time.Hour, StreamPacing: tt.pacing},
			}, md, reqs)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			rec := &tally{}
			out, err := r.Run(ctx, rec)
			var f *Failure
			if !errors.As(err, &f) || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "no such user") {
				t.Fatalf("err = %v, want a *Failure saying %q", err, tt.err)
			}
			if out.Interrupted {
				t.Fatal("the run waited for the drain limit until the test's deadline")
			}
			if rec.ended != 1 || len(rec.calls) != 2 || rec.codes()[0] != 2 {
				t.Errorf("recorded %d calls (codes %v), ended %d times; want the 2 before, OK, and End once", len(rec.calls), rec.codes(), rec.ended)
			}
			if want := int64(0); tt.method != "Unary" {
				want = 1
				if out.Aborted != want {
					t.Errorf("aborted %d, want %d: the stream cut at its failed message", out.Aborted, want)
				}
			}
			s.mu.Lock()
			got, n := strings.Join(s.messages, " "), len(s.messages)
			s.mu.Unlock()
			if !strings.HasPrefix(got, tt.want) || n > len(strings.Fields(tt.want))+1 {
				t.Errorf("server saw %s, want %s (and at most the failed stream's first message)", got, tt.want)
			}
		})
	}
}
