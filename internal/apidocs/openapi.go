package apidocs

import (
	"encoding/json"
	"fmt"
	"html/template"
	"regexp"
	"slices"
	"strings"
)

// reference is one face's document, shaped for its page.
type reference struct {
	Title       string
	Version     string
	Description template.HTML
	Servers     []string
	Security    []securityScheme
	Groups      []group
	Schemas     []namedSchema
}

type securityScheme struct {
	Name        string
	How         string // "API key in header X-Auth-Token", "HTTP basic", …
	Description template.HTML
}

// group is the operations of one tag, in the document's order.
type group struct {
	ID          string
	Name        string
	Description template.HTML
	Ops         []operation
}

type operation struct {
	ID          string // the page anchor
	Method      string
	Path        string
	Summary     string
	Description template.HTML
	Deprecated  bool
	Security    []string // one entry per alternative; "none" for a public operation
	Params      []param
	Body        *body
	Responses   []response
}

type param struct {
	Name        string
	In          string
	Required    bool
	Description template.HTML
	Schema      *schema
}

type body struct {
	Required    bool
	Description template.HTML
	Contents    []content
}

type content struct {
	Type    string
	Schema  *schema
	Example string // indented JSON, or ""
}

type response struct {
	Status      string
	Class       string // "2" for 2XX and 201, for its colour
	Description template.HTML
	Headers     []param
	Contents    []content
}

type namedSchema struct {
	ID     string
	Name   string
	Schema *schema
}

// schema is a schema as the page shows it: a one-line type, its rules, and
// what it holds. A reference to a named schema nested in another is a link
// to that schema's own entry (Ref), which keeps deep and recursive shapes
// readable.
type schema struct {
	Ref         string // the named schema's name, when the schema is one
	RefID       string
	Type        string
	Rules       []string
	Description template.HTML
	Properties  []property
	Items       *schema
	Extra       *schema // additionalProperties with a schema
	Variants    []*schema
	VariantsOf  string // "one of", "any of", "all of"
}

type property struct {
	Name     string
	Required bool
	Schema   *schema
}

var methods = []string{"get", "put", "post", "patch", "delete", "head", "options", "trace"}

// parseReference builds the page of an OpenAPI 3 document.
func parseReference(doc []byte) (*reference, error) {
	v, err := decodeOrdered(doc)
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	root := objOf(v)
	if root == nil || !strings.HasPrefix(strOf(root.get("openapi")), "3.") {
		return nil, fmt.Errorf("not an OpenAPI 3 document")
	}
	b := &builder{root: root}
	info := objOf(root.get("info"))
	ref := &reference{Title: strOf(info.get("title")), Version: strOf(info.get("version")),
		Description: markdown(strOf(info.get("description")))}
	for _, s := range listOf(root.get("servers")) {
		if u := strOf(objOf(s).get("url")); u != "" {
			ref.Servers = append(ref.Servers, u)
		}
	}
	comps := objOf(root.get("components"))
	schemes := objOf(comps.get("securitySchemes"))
	if schemes != nil {
		for _, name := range schemes.keys {
			s := objOf(schemes.get(name))
			ref.Security = append(ref.Security, securityScheme{Name: name, How: schemeHow(s), Description: markdown(strOf(s.get("description")))})
		}
	}
	b.operations(ref)
	if schemas := objOf(comps.get("schemas")); schemas != nil {
		for _, name := range schemas.keys {
			ref.Schemas = append(ref.Schemas, namedSchema{ID: schemaID(name), Name: name, Schema: b.schema(schemas.get(name), true)})
		}
	}
	return ref, nil
}

func schemeHow(s *object) string {
	switch strOf(s.get("type")) {
	case "apiKey":
		return "API key in " + strOf(s.get("in")) + " " + strOf(s.get("name"))
	case "http":
		how := "HTTP " + strOf(s.get("scheme"))
		if f := strOf(s.get("bearerFormat")); f != "" {
			how += " (" + f + ")"
		}
		return how
	case "oauth2":
		flows := objOf(s.get("flows"))
		if flows == nil {
			return "OAuth2"
		}
		var parts []string
		for _, name := range flows.keys {
			part := name
			if u := strOf(objOf(flows.get(name)).get("tokenUrl")); u != "" {
				part += ", token at " + u
			}
			parts = append(parts, part)
		}
		return "OAuth2 (" + strings.Join(parts, "; ") + ")"
	}
	return strOf(s.get("type"))
}

type builder struct {
	root *object
	ids  map[string]int
}

// resolve follows a local $ref (#/components/…) to what it names, and
// returns the name of the last component it went through. A description
// beside the $ref (which OpenAPI 3.1 allows) is kept by the callers.
func (b *builder) resolve(v any) (*object, string) {
	o := objOf(v)
	name := ""
	for i := 0; i < 16 && o != nil; i++ {
		ref := strOf(o.get("$ref"))
		if ref == "" {
			break
		}
		target := b.pointer(ref)
		if target == nil {
			break
		}
		name = ref[strings.LastIndex(ref, "/")+1:]
		o = target
	}
	return o, name
}

// pointer follows a JSON pointer within the document.
func (b *builder) pointer(ref string) *object {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = b.root
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		o := objOf(cur)
		if o == nil {
			return nil
		}
		cur = o.get(part)
	}
	return objOf(cur)
}

func (b *builder) operations(ref *reference) {
	b.ids = map[string]int{}
	groups := map[string]*group{}
	var order []string
	for _, t := range listOf(b.root.get("tags")) {
		to := objOf(t)
		name := strOf(to.get("name"))
		if name == "" || groups[name] != nil {
			continue
		}
		groups[name] = &group{ID: b.anchor("tag-" + name), Name: name, Description: markdown(strOf(to.get("description")))}
		order = append(order, name)
	}
	paths := objOf(b.root.get("paths"))
	if paths == nil {
		return
	}
	for _, path := range paths.keys {
		item := objOf(paths.get(path))
		if item == nil {
			continue
		}
		shared := listOf(item.get("parameters"))
		for _, m := range item.keys {
			if !slices.Contains(methods, m) {
				continue
			}
			o := objOf(item.get(m))
			op := b.operation(path, m, o, shared)
			tag := "Operations"
			if tags := listOf(o.get("tags")); len(tags) > 0 && strOf(tags[0]) != "" {
				tag = strOf(tags[0])
			}
			g := groups[tag]
			if g == nil {
				g = &group{ID: b.anchor("tag-" + tag), Name: tag}
				groups[tag] = g
				order = append(order, tag)
			}
			g.Ops = append(g.Ops, op)
		}
	}
	for _, name := range order {
		if g := groups[name]; len(g.Ops) > 0 {
			ref.Groups = append(ref.Groups, *g)
		}
	}
}

func (b *builder) operation(path, method string, o *object, shared []any) operation {
	id := strOf(o.get("operationId"))
	if id == "" {
		id = method + " " + path
	}
	op := operation{ID: b.anchor("op-" + id), Method: strings.ToUpper(method), Path: path,
		Summary: strOf(o.get("summary")), Description: markdown(strOf(o.get("description"))), Deprecated: boolOf(o.get("deprecated"))}
	security := o.get("security")
	if security == nil {
		security = b.root.get("security")
	}
	if security != nil && len(listOf(security)) == 0 {
		// An empty list is a public operation (it overrides the
		// document's default).
		op.Security = []string{"none"}
	}
	for _, alt := range listOf(security) {
		ao := objOf(alt)
		if ao == nil || len(ao.keys) == 0 {
			op.Security = append(op.Security, "none")
			continue
		}
		op.Security = append(op.Security, strings.Join(ao.keys, " + "))
	}
	// An operation's parameter replaces the path's of the same name and
	// place.
	seen := map[string]bool{}
	for _, p := range listOf(o.get("parameters")) {
		pp := b.param(p, "")
		seen[pp.In+" "+pp.Name] = true
		op.Params = append(op.Params, pp)
	}
	for _, p := range shared {
		if pp := b.param(p, ""); !seen[pp.In+" "+pp.Name] {
			op.Params = append(op.Params, pp)
		}
	}
	if rb, _ := b.resolve(o.get("requestBody")); rb != nil {
		op.Body = &body{Required: boolOf(rb.get("required")), Description: markdown(strOf(rb.get("description"))),
			Contents: b.contents(rb.get("content"))}
	}
	if rs := objOf(o.get("responses")); rs != nil {
		for _, status := range rs.keys {
			raw := objOf(rs.get(status))
			r, _ := b.resolve(raw)
			desc := strOf(raw.get("description"))
			if desc == "" {
				desc = strOf(r.get("description"))
			}
			resp := response{Status: status, Class: status[:1], Description: markdown(desc), Contents: b.contents(r.get("content"))}
			if hs := objOf(r.get("headers")); hs != nil {
				for _, name := range hs.keys {
					resp.Headers = append(resp.Headers, b.param(hs.get(name), name))
				}
			}
			op.Responses = append(op.Responses, resp)
		}
	}
	return op
}

// param is a parameter, or a header of a response when name is given.
func (b *builder) param(v any, name string) param {
	raw := objOf(v)
	o, _ := b.resolve(raw)
	desc := strOf(raw.get("description"))
	if desc == "" {
		desc = strOf(o.get("description"))
	}
	p := param{Name: strOf(o.get("name")), In: strOf(o.get("in")), Required: boolOf(o.get("required")), Description: markdown(desc)}
	if name != "" {
		p.Name, p.In = name, "header"
	}
	if s := o.get("schema"); s != nil {
		p.Schema = b.schema(s, false)
	}
	return p
}

func (b *builder) contents(v any) []content {
	o := objOf(v)
	if o == nil {
		return nil
	}
	var out []content
	for _, ctype := range o.keys {
		mt := objOf(o.get(ctype))
		c := content{Type: ctype}
		if s := mt.get("schema"); s != nil {
			c.Schema = b.schema(s, true)
		}
		if ex := mt.get("example"); ex != nil {
			c.Example = indentJSON(ex)
		}
		out = append(out, c)
	}
	return out
}

// schema shapes a schema. expand opens a named schema in place (the body
// of a request or response, a named schema's own entry); otherwise a named
// schema is a link to its entry.
func (b *builder) schema(v any, expand bool) *schema {
	return b.schemaDepth(v, expand, 0)
}

func (b *builder) schemaDepth(v any, expand bool, depth int) *schema {
	raw := objOf(v)
	if raw == nil {
		if bv, ok := v.(bool); ok {
			if bv {
				return &schema{Type: "any"}
			}
			return &schema{Type: "nothing"}
		}
		return &schema{Type: "any"}
	}
	o, name := b.resolve(raw)
	s := &schema{Description: markdown(strOf(raw.get("description")))}
	if name != "" && strings.Contains(strOf(raw.get("$ref")), "/schemas/") {
		s.Ref, s.RefID = name, schemaID(name)
	}
	if s.Description == "" {
		s.Description = markdown(strOf(o.get("description")))
	}
	s.Type = typeOf(o)
	s.Rules = rules(o)
	if (s.Ref != "" && !expand) || depth > 8 {
		if t := objOf(o.get("items")); t != nil {
			s.Type = "array of " + b.shortType(t)
		}
		return s
	}
	for _, kw := range []string{"oneOf", "anyOf", "allOf"} {
		if vs := listOf(o.get(kw)); len(vs) > 0 {
			s.VariantsOf = map[string]string{"oneOf": "one of", "anyOf": "any of", "allOf": "all of"}[kw]
			for _, x := range vs {
				s.Variants = append(s.Variants, b.schemaDepth(x, false, depth+1))
			}
			break
		}
	}
	if props := objOf(o.get("properties")); props != nil {
		var required []string
		for _, r := range listOf(o.get("required")) {
			required = append(required, strOf(r))
		}
		for _, name := range props.keys {
			s.Properties = append(s.Properties, property{Name: name, Required: slices.Contains(required, name),
				Schema: b.schemaDepth(props.get(name), false, depth+1)})
		}
	}
	if items := o.get("items"); items != nil {
		s.Items = b.schemaDepth(items, false, depth+1)
		s.Type = "array of " + b.shortType(objOf(items))
	}
	if ap := objOf(o.get("additionalProperties")); ap != nil {
		s.Extra = b.schemaDepth(ap, false, depth+1)
	}
	return s
}

// shortType names a schema in a few words: its name when it has one.
func (b *builder) shortType(v *object) string {
	o, name := b.resolve(v)
	if name != "" && strings.Contains(strOf(v.get("$ref")), "/schemas/") {
		return name
	}
	return typeOf(o)
}

// typeOf is a schema's type as a reader says it: "string (date-time)",
// "integer or null".
func typeOf(o *object) string {
	var types []string
	switch t := o.get("type").(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, strOf(x))
		}
	}
	if len(types) == 0 {
		switch {
		case o.get("properties") != nil:
			types = []string{"object"}
		case o.get("oneOf") != nil, o.get("anyOf") != nil, o.get("allOf") != nil:
			return "composed"
		case o.get("const") != nil:
			return "constant"
		default:
			return "any"
		}
	}
	s := strings.Join(types, " or ")
	if f := strOf(o.get("format")); f != "" {
		s += " (" + f + ")"
	}
	return s
}

// rules lists a schema's constraints in words.
func rules(o *object) []string {
	var out []string
	if c := o.get("const"); c != nil {
		out = append(out, "always "+literal(c))
	}
	if e := listOf(o.get("enum")); len(e) > 0 {
		vals := make([]string, len(e))
		for i, x := range e {
			vals[i] = literal(x)
		}
		out = append(out, "one of "+strings.Join(vals, ", "))
	}
	for _, r := range []struct{ key, words string }{
		{"minimum", "≥ "}, {"exclusiveMinimum", "> "}, {"maximum", "≤ "}, {"exclusiveMaximum", "< "},
		{"minLength", "at least %s characters"}, {"maxLength", "at most %s characters"},
		{"minItems", "at least %s items"}, {"maxItems", "at most %s items"},
		{"pattern", "matches the pattern %s"}, {"default", "default %s"},
	} {
		v := o.get(r.key)
		if v == nil {
			continue
		}
		val := strOf(v)
		if r.key == "default" {
			val = literal(v)
		}
		if val == "1" {
			// "at least 1 character", not "1 characters".
			r.words = strings.Replace(strings.Replace(r.words, "characters", "character", 1), "items", "item", 1)
		}
		if strings.Contains(r.words, "%s") {
			out = append(out, fmt.Sprintf(r.words, val))
		} else {
			out = append(out, r.words+val)
		}
	}
	if ap, ok := o.get("additionalProperties").(bool); ok && !ap {
		out = append(out, "no other members")
	}
	return out
}

// literal writes a value as JSON.
func literal(v any) string {
	b, err := json.Marshal(plain(v))
	if err != nil {
		return strOf(v)
	}
	return string(b)
}

func indentJSON(v any) string {
	b, err := json.MarshalIndent(plain(v), "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// plain turns decoded values back into what encoding/json writes in the
// same order (an object becomes an ordered list of members).
func plain(v any) any {
	switch t := v.(type) {
	case *object:
		return orderedJSON{t}
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = plain(x)
		}
		return out
	}
	return v
}

type orderedJSON struct{ o *object }

func (j orderedJSON) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range j.o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(plain(j.o.vals[k]))
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// anchor is a unique id for an element of the page.
func (b *builder) anchor(s string) string {
	id := strings.Trim(unsafeID.ReplaceAllString(s, "-"), "-")
	b.ids[id]++
	if n := b.ids[id]; n > 1 {
		id = fmt.Sprintf("%s-%d", id, n)
	}
	return id
}

func schemaID(name string) string { return "schema-" + unsafeID.ReplaceAllString(name, "-") }
