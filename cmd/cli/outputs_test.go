package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestOutputPlan(t *testing.T) {
	t.Chdir(t.TempDir()) // Plan makes and removes a file where each -o goes
	if err := os.WriteFile("file", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		want    []OutputTarget
		wantErr string
	}{
		{name: "stdout text", want: []OutputTarget{{Format: "text"}}},
		{name: "stdout format", args: []string{"--format", "csv"}, want: []OutputTarget{{Format: "csv"}}},
		{name: "extension", args: []string{"-o", "r.json"}, want: []OutputTarget{{Path: "r.json", Format: "json"}}},
		{name: "upper-case extension", args: []string{"-o", "R.HTML"}, want: []OutputTarget{{Path: "R.HTML", Format: "html"}}},
		{name: "unknown extension is text", args: []string{"-o", "r.out"}, want: []OutputTarget{{Path: "r.out", Format: "text"}}},
		{name: "format overrides", args: []string{"-o", "r.json", "--format", "markdown"}, want: []OutputTarget{{Path: "r.json", Format: "markdown"}}},
		{name: "dash", args: []string{"-o", "-", "--format", "json"}, want: []OutputTarget{{Format: "json"}}},
		// Standard output by name is standard output: run adds no text
		// summary after the report (`run -o /dev/stdout --format json | jq`).
		{name: "dev stdout", args: []string{"-o", "/dev/stdout", "--format", "json"}, want: []OutputTarget{{Format: "json"}}},
		{name: "fd 1", args: []string{"-o", "/dev/fd/1", "--format", "json"}, want: []OutputTarget{{Format: "json"}}},
		{name: "dev stderr stays a path", args: []string{"-o", "/dev/stderr", "--format", "json"}, want: []OutputTarget{{Path: "/dev/stderr", Format: "json"}}},
		{name: "stdout twice", args: []string{"-o", "-", "-o", "/dev/stdout"}, wantErr: "-o /dev/stdout is given twice"},
		{name: "several", args: []string{"-o", "a.json", "-o", "a.md", "-o", "a.hgrm", "-o", "a.csv", "-o", "a.txt", "-o", "-"},
			want: []OutputTarget{{"a.json", "json"}, {"a.md", "markdown"}, {"a.hgrm", "hgrm"}, {"a.csv", "csv"}, {"a.txt", "text"}, {"", "text"}}},
		{name: "several with format", args: []string{"-o", "a.json", "-o", "a.md", "--format", "json"}, wantErr: "--format applies to one -o"},
		{name: "several unknown", args: []string{"-o", "a.json", "-o", "a.out"}, wantErr: "-o a.out: the extension names no format"},
		{name: "twice", args: []string{"-o", "a.json", "-o", "a.json"}, wantErr: "-o a.json is given twice"},
		{name: "no such directory", args: []string{"-o", "gone/r.json"}, wantErr: "-o gone/r.json: the directory gone does not exist"},
		{name: "a directory", args: []string{"-o", "."}, wantErr: "-o .: it is a directory: name a file in it"},
		{name: "under a file", args: []string{"-o", "file/r.json"}, wantErr: "-o file/r.json: lstat file/r.json: not a directory"},
		{name: "bad format", args: []string{"--format", "xml"}, wantErr: `--format must be text, json, hgrm, csv, markdown or html, not "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o OutputFlags
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			AddOutputFlags(fs, &o, ShowFormats)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			got, err := o.Plan(fs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
			if left, _ := filepath.Glob(".grpcpulse-check-*"); len(left) > 0 {
				t.Errorf("the check left %v behind", left)
			}
		})
	}
}
