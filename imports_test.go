package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The import rules that runner/doc.go and report/doc.go state, enforced.
const mod = "github.com/grpcpulse/grpcpulse"

// listed is what `go list -deps -json` says of one package.
type listed struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Deps       []string
}

// leaves are the packages of plain types everything else shares.
var leaves = []string{mod + "/runner/plan", mod + "/runner/event", mod + "/internal/inputfile"}

// forbidden are modules the report hub must not pull in: the engine's
// transport, template functions, flags and terminal styles.
var forbidden = []string{"google.golang.org/grpc", "github.com/Masterminds/sprig", "github.com/spf13/pflag",
	"github.com/spf13/cobra", "github.com/charmbracelet/lipgloss"}

func TestImportRules(t *testing.T) {
	pkgs := goList(t)
	ours := func(p string) bool { return p == mod || strings.HasPrefix(p, mod+"/") }
	under := func(p, dir string) bool { return p == mod+"/"+dir || strings.HasPrefix(p, mod+"/"+dir+"/") }
	in := func(p string, set ...string) bool { return slices.Contains(set, p) }
	within := func(dep, module string) bool { return dep == module || strings.HasPrefix(dep, module+"/") }

	// check reports every dependency of a package that bad refuses, with the
	// chain of imports it arrives by.
	check := func(p *listed, rule string, bad func(dep string) bool) {
		for _, d := range p.Deps {
			if bad(d) {
				t.Errorf("%s imports %s (%s), against the rule: %s", p.ImportPath, d, chain(pkgs, p.ImportPath, d), rule)
			}
		}
	}
	for _, p := range pkgs {
		path := p.ImportPath
		if !ours(path) {
			continue
		}
		switch {
		case in(path, leaves...):
			check(p, "runner/plan, runner/event and internal/inputfile import only the standard library",
				func(d string) bool { return !pkgs[d].Standard })
		case in(path, mod+"/runner/conn", mod+"/runner/data"):
			check(p, "runner/conn and runner/data import, of ours, only runner/plan, runner/event and internal/inputfile",
				func(d string) bool { return ours(d) && !in(d, leaves...) })
		case path == mod+"/report":
			check(p, "the report hub imports no engine, flag or terminal package",
				func(d string) bool {
					return ours(d) && !in(d, leaves...) || slices.ContainsFunc(forbidden, func(m string) bool { return within(d, m) })
				})
		case under(path, "report") && path != mod+"/report/record":
			check(p, "report/* (but record) import, of ours, only report, runner/plan and runner/event",
				func(d string) bool { return ours(d) && !in(d, append([]string{mod + "/report"}, leaves...)...) })
		}
		if under(path, "runner") {
			check(p, "runner never imports report or cmd",
				func(d string) bool { return under(d, "report") || under(d, "cmd") })
		}
		if under(path, "runner") || under(path, "reflect") || under(path, "report") {
			check(p, "runner, reflect and report (a library) import no flag or command package",
				func(d string) bool { return within(d, "github.com/spf13/pflag") || within(d, "github.com/spf13/cobra") })
		}
		if path != mod+"/report/text" {
			for _, d := range p.Imports {
				if within(d, "github.com/charmbracelet/lipgloss") {
					t.Errorf("%s imports %s, against the rule: lipgloss lives only in report/text", path, d)
				}
			}
		}
	}
}

// goList lists every package of the module with its dependencies.
func goList(t *testing.T) map[string]*listed {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-json", "./...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]*listed{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = &p
	}
	if pkgs[mod+"/report"] == nil || pkgs[mod+"/runner"] == nil {
		t.Fatalf("go list did not list the module's packages (%d listed)", len(pkgs))
	}
	return pkgs
}

// chain is the shortest run of imports from one package to another:
// "a → b → c".
func chain(pkgs map[string]*listed, from, to string) string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var path []string
			for ; p != ""; p = prev[p] {
				path = append(path, strings.TrimPrefix(p, mod+"/"))
			}
			slices.Reverse(path)
			return strings.Join(path, " → ")
		}
		if pkgs[p] == nil {
			continue
		}
		for _, d := range pkgs[p].Imports {
			if _, seen := prev[d]; !seen {
				prev[d] = p
				queue = append(queue, d)
			}
		}
	}
	return "via " + to
}
