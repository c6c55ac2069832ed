package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// maxPortMethods is how many methods a store port may declare.
const maxPortMethods = 15

// TestPortsNarrowAndDocumented holds the store ports declared in this
// package and the family packages under it to their rules: at most maxPortMethods methods each, every method
// documented. Interfaces that only embed ports (Store, PlanningStore…) are
// unions and declare no method of their own beyond a documented few.
func TestPortsNarrowAndDocumented(t *testing.T) {
	fset := token.NewFileSet()
	var files []*ast.File
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "testdata":
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		files = append(files, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ports := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !strings.HasSuffix(ts.Name.Name, "Store") {
				return true
			}
			it, ok := ts.Type.(*ast.InterfaceType)
			if !ok {
				return true
			}
			ports++
			methods := 0
			for _, m := range it.Methods.List {
				if len(m.Names) == 0 {
					continue // an embedded port
				}
				methods++
				if m.Doc == nil || !strings.HasPrefix(m.Doc.Text(), m.Names[0].Name+" ") {
					t.Errorf("%s.%s (%s) has no doc comment starting with its name", ts.Name.Name, m.Names[0].Name, fset.Position(m.Pos()))
				}
			}
			if methods > maxPortMethods {
				t.Errorf("%s declares %d methods, more than %d", ts.Name.Name, methods, maxPortMethods)
			}
			return true
		})
	}
	if ports < 10 {
		t.Errorf("found %d ports: the test no longer sees them", ports)
	}
}
