package core_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// faceWords are spellings of the faces' wire vocabularies: PayREST's and
// Kashpay's camelCase field and sort names, PayREST's routes, SekurePay's
// unit suffix, and the names the store once gave its constraints' fields.
// The core and the store speak only their own names (see pasarela.Error);
// each face's table renames them.
var faceWords = []string{
	"clientId", "clientEmail", "returnUrl", "cancelUrl", "expiresAt", "gatewayConfig", "intervalCount",
	"startDate", "endDate", "firstName", "lastName", "targetEntity", "eventId", "apiKey", "shopLogin",
	"merchantRef", "beneficiaryA", "bankCode", "numericReference", "alphanumericReference", "transactionType",
	"dateTransaction", "postalCode", "createdAt", "updatedAt", "completionDate", "nextChargeDate", "nextAttemptAt",
	"_cents", "/application/",
}

// numericCode is a code in xpay's style ("5003") used as a whole literal.
var numericCode = regexp.MustCompile(`^"[0-9]{4}"$`)

// TestNoFaceVocabulary fails when a string literal of the core or the store
// uses a face's words: a field name, a unit suffix or a numbered code that
// belongs in a face's error table. Comments are not code and may name a
// face's words to explain a mapping; SQL's snake_case columns never match.
func TestNoFaceVocabulary(t *testing.T) {
	t.Parallel()
	var files []string
	for _, dir := range []string{".", "../store"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			// A struct tag spells a stored JSON document's keys, which
			// rows already written keep; it is not what the core reports.
			if field, ok := n.(*ast.Field); ok && field.Tag != nil {
				return false
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if numericCode.MatchString(lit.Value) {
				t.Errorf("%s: numbered code %s: give the core a word and let the face number it", fset.Position(lit.Pos()), lit.Value)
			}
			for _, w := range faceWords {
				if strings.Contains(lit.Value, w) {
					t.Errorf("%s: %s uses a face's word %q: use the core's name and map it in the face's table",
						fset.Position(lit.Pos()), lit.Value, w)
				}
			}
			return true
		})
	}
	if checked < 20 {
		t.Fatalf("checked %d files: the test no longer finds the core and the store", checked)
	}
}
