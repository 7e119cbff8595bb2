package reflect

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bufbuild/protocompile/parser"
	"github.com/bufbuild/protocompile/reporter"
)

// protoNames turns the files given to NewProtoSource into the names and
// import paths the compiler wants. It looks a file up only by joining
// it to each import path, so a path that already includes the import path
// ("testdata/proto/a.proto" with -I testdata/proto) is made relative to it,
// as protoc does. With no import paths, imports resolve from the current
// directory unless they do not, in which case the nearest ancestor of the
// file from which they do becomes its import path.
func protoNames(ctx context.Context, importPaths, files []string) (names, roots []string) {
	if len(importPaths) > 0 {
		names = make([]string, len(files))
		for i, f := range files {
			names[i] = relativeToImportPath(importPaths, f)
		}
		return names, importPaths
	}
	names = slices.Clone(files)
	for i, f := range files {
		root := inferRoot(ctx, f)
		if root == "." {
			continue
		}
		if rel, err := filepath.Rel(root, f); err == nil {
			names[i] = filepath.ToSlash(rel)
			if !slices.Contains(roots, root) {
				roots = append(roots, root)
			}
		}
	}
	if len(roots) == 0 {
		// Nothing to infer: keep the compiler's own behaviour without
		// import paths (files opened as given, absolute paths included).
		return names, nil
	}
	// With import paths, the compiler joins every name to them, so the files
	// left to the current directory must be relative to it.
	for i, name := range names {
		if filepath.IsAbs(name) {
			if rel, err := filepath.Rel(cwd(), name); err == nil {
				names[i] = filepath.ToSlash(rel)
			}
		}
	}
	return names, append(roots, ".")
}

func cwd() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	return dir
}

// relativeToImportPath returns f unchanged when it is found under an import
// path, and else its path relative to the first import path containing it.
func relativeToImportPath(importPaths []string, f string) string {
	for _, ip := range importPaths {
		if exists(filepath.Join(ip, f)) {
			return f
		}
	}
	if !exists(f) {
		return f
	}
	abs, err := filepath.Abs(f)
	if err != nil {
		return f
	}
	for _, ip := range importPaths {
		ipAbs, err := filepath.Abs(ip)
		if err != nil {
			continue
		}
		rel, err := filepath.Rel(ipAbs, abs)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(rel)
		}
	}
	return f
}

// inferRoot returns the directory from which every import of the file f
// resolves: "." when it is the current directory or when nothing does (the
// parser then reports the missing import), else the nearest ancestor of f.
func inferRoot(ctx context.Context, f string) string {
	imports, ok := importsOf(ctx, f)
	if !ok {
		return "."
	}
	var deps []string
	for _, dep := range imports {
		if !strings.HasPrefix(dep, "google/protobuf/") {
			deps = append(deps, dep)
		}
	}
	resolves := func(root string) bool {
		for _, dep := range deps {
			if !exists(filepath.Join(root, dep)) {
				return false
			}
		}
		return true
	}
	if len(deps) == 0 || resolves(".") {
		return "."
	}
	for dir := filepath.Dir(f); ; {
		if resolves(dir) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir || dir == "." || dir == ".." || strings.HasSuffix(dir, string(filepath.Separator)+"..") {
			return "."
		}
		dir = parent
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// importsOf returns the imports of the .proto file f, or false when it
// cannot be read or parsed (compiling it reports why).
func importsOf(ctx context.Context, f string) ([]string, bool) {
	data, err := readFileLimited(ctx, f, maxProtoSize, protoFile)
	if err != nil {
		return nil, false
	}
	h := reporter.NewHandler(nil)
	ast, err := parser.Parse(f, bytes.NewReader(data), h)
	if err != nil {
		return nil, false
	}
	res, err := parser.ResultFromAST(ast, false, h)
	if err != nil {
		return nil, false
	}
	return res.FileDescriptorProto().GetDependency(), true
}
