package cmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
)

func TestMan(t *testing.T) {
	t.Parallel()
	f, out, errOut := testFactory("")
	if code := Run(context.Background(), f, []string{"man"}); code != cli.ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	page := out.String()
	for _, want := range []string{`.TH "GRPCPULSE" "1"`, `.SH NAME`, `grpcpulse-run(1)`, `grpcpulse-health(1)`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "grpcpulse-man(1)") || strings.Contains(page, "Auto generated") {
		t.Errorf("page names the hidden man command or carries a generated-by line:\n%s", page)
	}

	dir := filepath.Join(t.TempDir(), "manpages")
	f, _, errOut = testFactory("")
	if code := Run(context.Background(), f, []string{"man", "--dir", dir}); code != cli.ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	for _, name := range []string{"grpcpulse.1", "grpcpulse-run.1", "grpcpulse-health.1", "grpcpulse-report-merge.1"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "grpcpulse-man.1")); err == nil {
		t.Error("the hidden man command has a page")
	}
}

func TestManIsHidden(t *testing.T) {
	t.Parallel()
	f, out, _ := testFactory("")
	if code := Run(context.Background(), f, []string{"--help"}); code != cli.ExitOK {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out.String(), "  man ") {
		t.Errorf("man is listed in --help:\n%s", out)
	}
}
