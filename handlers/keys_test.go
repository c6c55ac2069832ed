package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"accountbot/crm"
	"accountbot/i18n"
	"accountbot/store"
	"accountbot/store/storetest"
)

// Every message key the code uses must have a text in every language: a
// missing one would show a person a raw key.
func TestEveryUsedKeyIsTranslated(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	check := func(where, key string) {
		checked++
		for _, lang := range i18n.Languages {
			if !cat.Has(lang, key) {
				t.Errorf("%s: key %q has no %s translation", where, key, lang)
			}
		}
	}
	files, _ := filepath.Glob("*.go")
	families, _ := filepath.Glob("*/*.go") // core and the family packages
	files = append(files, families...)
	crmFiles, _ := filepath.Glob("../crm/*.go")
	storeFiles, _ := filepath.Glob("../store/*.go")
	files = append(append(files, crmFiles...), storeFiles...)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			idx, prefix := -1, ""
			switch name {
			case "t", "T", "TMap":
				idx = 0
			case "Errorf":
				idx = 1
			case "Is", "typed": // typed words (words.go, core.Request.Is)
				idx, prefix = 1, i18n.WordsPrefix
			case "words", "Words":
				idx, prefix = 0, i18n.WordsPrefix
			case "addClientSub", "AddClientSub":
				idx, prefix = 0, i18n.WordsPrefix+"client."
			}
			if idx < 0 || len(call.Args) <= idx {
				return true
			}
			lit, ok := call.Args[idx].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			key = prefix + key
			if strings.Contains(key, ".") && !strings.ContainsAny(key, " %") {
				check(fset.Position(lit.Pos()).String(), key)
			}
			return true
		})
	}
	// Keys built at run time.
	for _, r := range []crm.Role{crm.RoleHead, crm.RoleSupervisor, crm.RoleManager} {
		check("roles", "role."+string(r))
	}
	for _, f := range []string{"status", "segment", "industry", "size", "city", "need", "level", "focus", "source", "lang", "rating"} {
		check("card fields", "field."+f)
	}
	for _, c := range crm.Channels {
		check("channels", "channel."+c)
	}
	st := storetest.OpenWith(t, store.Options{InMemory: true})
	svc, err := New(st, cat)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range svc.specs {
		check("help", "help."+sp.name+".usage")
		check("help", "help."+sp.name+".desc")
	}
	if checked < 100 {
		t.Errorf("only %d keys found in the code: the scan is broken", checked)
	}
}
