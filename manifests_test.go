package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/grpcpulse/grpcpulse/cmd"
	"github.com/grpcpulse/grpcpulse/cmd/cli"
)

// k8sJob is the part of a Kubernetes Job that the examples must get right.
type k8sJob struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				InitContainers []k8sContainer `yaml:"initContainers"`
				Containers     []k8sContainer `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sContainer struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
}

// The release image (goreleaser.yaml's dockers_v2), its tag filled in by envsubst.
const imagePrefix = "ghcr.io/grpcpulse/grpcpulse:"

// TestExampleManifests parses every docs/examples/*.yaml: the load Job is an
// Indexed Job of the release image whose arguments are a valid
// `grpcpulse run` command line writing JSON per pod, and a merge Job runs
// `report merge` over exactly the load Job's reports.
func TestExampleManifests(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("docs/examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example manifests: %v", err)
	}
	var loads, merges []k8sJob
	for _, file := range files {
		for _, job := range readJobs(t, file) {
			if job.APIVersion != "batch/v1" || job.Kind != "Job" {
				t.Errorf("%s: %s %s, want a batch/v1 Job", file, job.APIVersion, job.Kind)
			}
			for _, c := range slices.Concat(job.Spec.Template.Spec.InitContainers, job.Spec.Template.Spec.Containers) {
				if !strings.HasPrefix(c.Image, imagePrefix) {
					t.Errorf("%s: container %s runs %q, want %sVERSION", file, c.Name, c.Image, imagePrefix)
				}
				args := expandArgs(t, file, c)
				switch {
				case len(args) > 0 && args[0] == "run":
					checkRunArgs(t, file, job, args)
					loads = append(loads, job)
				case len(args) > 1 && args[0] == "report" && args[1] == "merge":
					checkArgs(t, file, args)
					merges = append(merges, job)
				}
			}
		}
	}
	if len(loads) != 1 || len(merges) != 1 {
		t.Fatalf("%d load Jobs and %d merge Jobs, want one of each", len(loads), len(merges))
	}
	var want []string
	for i := range loads[0].Spec.Completions {
		want = append(want, fmt.Sprintf("/results/%d.json", i))
	}
	for _, c := range merges[0].Spec.Template.Spec.InitContainers {
		if got := c.Args[len(c.Args)-len(want):]; !slices.Equal(got, want) {
			t.Errorf("merge reads %q, want one report per completion index: %q", got, want)
		}
	}
}

// readJobs decodes every YAML document of file.
func readJobs(t *testing.T, file string) []k8sJob {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(false)
	var jobs []k8sJob
	for {
		var job k8sJob
		if err := dec.Decode(&job); err != nil {
			if errors.Is(err, io.EOF) {
				return jobs
			}
			t.Fatalf("%s: %v", file, err)
		}
		jobs = append(jobs, job)
	}
}

var k8sVarRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expandArgs replaces $(VAR) as Kubernetes does, with the container's env;
// a reference to a variable the container does not define is an error (the
// kubelet would leave it as is). envsubst's ${START_AT} gets a sample time.
func expandArgs(t *testing.T, file string, c k8sContainer) []string {
	t.Helper()
	env := map[string]string{"JOB_COMPLETION_INDEX": "0"} // set from a fieldRef
	for _, e := range c.Env {
		if _, ok := env[e.Name]; !ok {
			env[e.Name] = strings.ReplaceAll(e.Value, "${START_AT}", "2026-01-02T15:04:05Z")
		}
	}
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = k8sVarRef.ReplaceAllStringFunc(a, func(ref string) string {
			name := k8sVarRef.FindStringSubmatch(ref)[1]
			v, ok := env[name]
			if !ok {
				t.Errorf("%s: container %s: %s refers to $(%s), which its env does not define", file, c.Name, a, name)
			}
			return v
		})
	}
	return args
}

// checkRunArgs checks a load container: an Indexed Job of simultaneous pods,
// each writing its JSON report under /results, started at --start-at.
func checkRunArgs(t *testing.T, file string, job k8sJob, args []string) {
	t.Helper()
	if job.Spec.CompletionMode != "Indexed" || job.Spec.Completions < 1 || job.Spec.Parallelism != job.Spec.Completions {
		t.Errorf("%s: completionMode %q, %d completions, parallelism %d; want Indexed, all pods at once",
			file, job.Spec.CompletionMode, job.Spec.Completions, job.Spec.Parallelism)
	}
	if c, _, err := cmd.NewCmdRoot(cli.NewFactory()).Find(args); err == nil && c.Flags().Lookup("start-at") == nil {
		// --start-at comes with another change to run; until then, check the rest.
		t.Logf("%s: run has no --start-at yet; checking the other arguments", file)
		args = slices.DeleteFunc(args, func(a string) bool { return strings.HasPrefix(a, "--start-at") })
	} else if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--start-at=") }) {
		t.Errorf("%s: run has no --start-at: the pods would not start together", file)
	}
	run := checkArgs(t, file, args)
	if run == nil {
		return
	}
	fs := run.Flags()
	if v, _ := fs.GetString("format"); v != "json" {
		t.Errorf("%s: run --format %q, want json (report merge reads JSON)", file, v)
	}
	if out, _ := fs.GetStringArray("output"); len(out) != 1 || !strings.HasPrefix(out[0], "/results/") {
		t.Errorf("%s: run -o %q, want one file under /results", file, out)
	}
	if at := fs.Lookup("start-at"); at != nil {
		if _, err := time.Parse(time.RFC3339, strings.Trim(at.Value.String(), `"`)); err != nil || !at.Changed {
			t.Errorf("%s: --start-at %q: want an RFC 3339 time (%v)", file, at.Value, err)
		}
	}
}

// checkArgs checks that args form a command line the named command accepts:
// known flags with valid values and the right positional arguments. It
// returns the command, its flags parsed, or nil.
func checkArgs(t *testing.T, file string, args []string) *cobra.Command {
	t.Helper()
	c, rest, err := cmd.NewCmdRoot(cli.NewFactory()).Find(args)
	if err != nil {
		t.Errorf("%s: %q: %v", file, args, err)
		return nil
	}
	if err := c.ParseFlags(rest); err != nil {
		t.Errorf("%s: %s: %v", file, c.CommandPath(), err)
		return nil
	}
	if err := c.ValidateArgs(c.Flags().Args()); err != nil {
		t.Errorf("%s: %s %q: %v", file, c.CommandPath(), c.Flags().Args(), err)
		return nil
	}
	return c
}
