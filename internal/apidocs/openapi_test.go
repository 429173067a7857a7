package apidocs

import (
	"strings"
	"testing"
)

// TestMarkdown renders the part of CommonMark the documents use, and
// nothing a description could smuggle in as markup.
func TestMarkdown(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Plain **bold** and `<code>`.", "<p>Plain <strong>bold</strong> and <code>&lt;code&gt;</code>.</p>"},
		{"- one\n- two `**x**`\n  continued", "<ul><li>one</li><li>two <code>**x**</code> continued</li></ul>"},
		{"a\n\nb", "<p>a</p><p>b</p>"},
		{"<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"},
		{"[doc](https://doc.example/a?b=1&c=2) [x](javascript:alert(1))", `<p><a href="https://doc.example/a?b=1&amp;c=2">doc</a> [x](javascript:alert(1))</p>`},
		{`see [the "field"](#schema-X)`, `<p>see <a href="#schema-X">the &#34;field&#34;</a></p>`},
		{"", ""},
	}
	for _, tc := range cases {
		if got := string(markdown(tc.in)); got != tc.want {
			t.Errorf("markdown(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestParseReference shapes a small document: operations in the document's
// order under their tags, a path's parameters shared, responses resolved
// through $ref with a description beside it winning, nested named schemas
// as links, and rules in words.
func TestParseReference(t *testing.T) {
	doc := `{"openapi":"3.1.0","info":{"title":"T","version":"1"},
	"tags":[{"name":"Zeta"},{"name":"Alpha"}],
	"paths":{
	  "/z/{id}":{"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"integer","minimum":1}}],
	    "post":{"operationId":"makeZ","tags":["Zeta"],"summary":"Make a Z","security":[],
	      "requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Z"},"example":{"b":1,"a":2}}}},
	      "responses":{"201":{"$ref":"#/components/responses/Made","description":"Made here."},"400":{"$ref":"#/components/responses/Made"}}},
	    "get":{"operationId":"getZ","tags":["Zeta"]}},
	  "/a":{"get":{"operationId":"listA","tags":["Alpha"]}}},
	"components":{
	  "responses":{"Made":{"description":"Made.","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Z"}}}}},
	  "schemas":{
	    "Z":{"type":"object","additionalProperties":false,"required":["name"],"properties":{
	      "name":{"type":"string","minLength":1,"maxLength":5,"pattern":"^\\w+$"},
	      "inner":{"$ref":"#/components/schemas/Inner"},
	      "tags":{"type":"array","items":{"$ref":"#/components/schemas/Inner"}}}},
	    "Inner":{"type":["string","null"],"enum":["x","y",null]}}}}`
	ref, err := parseReference([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(ref.Groups) != 2 || ref.Groups[0].Name != "Zeta" || ref.Groups[1].Name != "Alpha" {
		t.Fatalf("groups %+v", ref.Groups)
	}
	z := ref.Groups[0].Ops
	if len(z) != 2 || z[0].ID != "op-makeZ" || z[1].ID != "op-getZ" || z[0].Method != "POST" {
		t.Fatalf("Zeta's operations %+v", z)
	}
	mk := z[0]
	if len(mk.Params) != 1 || mk.Params[0].Name != "id" || !mk.Params[0].Required || len(z[1].Params) != 1 {
		t.Errorf("the path's parameter is not shared: %+v", mk.Params)
	}
	if len(mk.Security) != 1 || mk.Security[0] != "none" {
		t.Errorf("security %v, want none", mk.Security)
	}
	if mk.Body == nil || !mk.Body.Required || mk.Body.Contents[0].Example != "{\n  \"b\": 1,\n  \"a\": 2\n}" {
		t.Fatalf("body %+v", mk.Body)
	}
	if len(mk.Responses) != 2 || string(mk.Responses[0].Description) != "<p>Made here.</p>" || string(mk.Responses[1].Description) != "<p>Made.</p>" {
		t.Errorf("responses %+v", mk.Responses)
	}
	body := mk.Body.Contents[0].Schema
	if body.Ref != "Z" || len(body.Properties) != 3 || strings.Join(body.Rules, ";") != "no other members" {
		t.Fatalf("body schema %+v", body)
	}
	name, inner, tags := body.Properties[0], body.Properties[1], body.Properties[2]
	if !name.Required || strings.Join(name.Schema.Rules, "; ") != `at least 1 character; at most 5 characters; matches the pattern ^\w+$` {
		t.Errorf("name %+v %v", name, name.Schema.Rules)
	}
	if inner.Schema.Ref != "Inner" || inner.Schema.RefID != "schema-Inner" || inner.Schema.Type != "string or null" ||
		strings.Join(inner.Schema.Rules, "") != `one of "x", "y", null` {
		t.Errorf("inner %+v", inner.Schema)
	}
	if tags.Schema.Type != "array of Inner" || tags.Schema.Items == nil || tags.Schema.Items.Ref != "Inner" {
		t.Errorf("tags %+v", tags.Schema)
	}
	if len(ref.Schemas) != 2 || ref.Schemas[0].Name != "Z" || ref.Schemas[1].ID != "schema-Inner" {
		t.Errorf("schemas %+v", ref.Schemas)
	}
	for _, bad := range []string{`{}`, `[]`, `{"openapi":"2.0"}`, `{"openapi":"3.1.0"} x`, `{`} {
		if _, err := parseReference([]byte(bad)); err == nil {
			t.Errorf("parseReference(%s) took it", bad)
		}
	}
}
