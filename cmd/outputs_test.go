package cmd

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestOutputPlan(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []outputTarget
		wantErr string
	}{
		{name: "stdout text", want: []outputTarget{{Format: "text"}}},
		{name: "stdout format", args: []string{"--format", "csv"}, want: []outputTarget{{Format: "csv"}}},
		{name: "extension", args: []string{"-o", "r.json"}, want: []outputTarget{{Path: "r.json", Format: "json"}}},
		{name: "upper-case extension", args: []string{"-o", "R.HTML"}, want: []outputTarget{{Path: "R.HTML", Format: "html"}}},
		{name: "unknown extension is text", args: []string{"-o", "r.out"}, want: []outputTarget{{Path: "r.out", Format: "text"}}},
		{name: "format overrides", args: []string{"-o", "r.json", "--format", "markdown"}, want: []outputTarget{{Path: "r.json", Format: "markdown"}}},
		{name: "dash", args: []string{"-o", "-", "--format", "json"}, want: []outputTarget{{Format: "json"}}},
		{name: "several", args: []string{"-o", "a.json", "-o", "a.md", "-o", "a.hgrm", "-o", "a.csv", "-o", "a.txt", "-o", "-"},
			want: []outputTarget{{"a.json", "json"}, {"a.md", "markdown"}, {"a.hgrm", "hgrm"}, {"a.csv", "csv"}, {"a.txt", "text"}, {"", "text"}}},
		{name: "several with format", args: []string{"-o", "a.json", "-o", "a.md", "--format", "json"}, wantErr: "--format applies to one -o"},
		{name: "several unknown", args: []string{"-o", "a.json", "-o", "a.out"}, wantErr: "-o a.out: the extension names no format"},
		{name: "twice", args: []string{"-o", "a.json", "-o", "a.json"}, wantErr: "-o a.json is given twice"},
		{name: "bad format", args: []string{"--format", "xml"}, wantErr: `--format must be text, json, hgrm, csv, markdown or html, not "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o OutputFlags
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			addOutputFlags(fs, &o, showFormats)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			got, err := o.plan(fs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestOutputPlanNarrowFormats(t *testing.T) {
	var o OutputFlags
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	addOutputFlags(fs, &o, compareFormats)
	if err := fs.Parse([]string{"-o", "c.html"}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.plan(fs); err == nil || !strings.Contains(err.Error(), "writes text, json, markdown, not html") {
		t.Errorf("got %v", err)
	}
}

func TestCheckStartAt(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		at      time.Time
		wantErr bool
	}{
		{time.Time{}, false},
		{now.Add(time.Minute), false},
		{now.Add(-startAtGrace), false}, // slightly past: starts at once
		{now.Add(-startAtGrace - time.Second), true},
	} {
		if err := checkStartAt(tt.at, now); (err != nil) != tt.wantErr {
			t.Errorf("checkStartAt(%s) = %v, want error %v", tt.at, err, tt.wantErr)
		}
	}
}
