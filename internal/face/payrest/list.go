package payrest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
)

// maxSortKeys bounds how many keys one sort may name.
const maxSortKeys = 5

// listOptions reads limit, offset and sort from the query. The field names
// of sort are checked against the resource's whitelist by the core; here
// only the syntax is: "field_dir,field_dir", dir asc or desc, asc when absent.
func listOptions(q url.Values) (pasarela.ListOptions, error) {
	var opts pasarela.ListOptions
	var v pasarela.Validation
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			v.Add("limit", "integer", "must be an integer between 1 and 100")
		} else if n < 1 {
			v.Add("limit", "range", "must be between 1 and 100")
		} else {
			opts.Limit = n
		}
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			v.Add("offset", "integer", "must be an integer of 0 or more")
		} else {
			opts.Offset = n
		}
	}
	sort, err := parseSort(q.Get("sort"))
	if !v.AddError(err) {
		opts.Sort = sort
	}
	return opts, v.Err()
}

// parseSort parses PayREST's sort syntax.
func parseSort(s string) ([]pasarela.SortField, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxSortKeys {
		return nil, pasarela.Invalid("sort", "sort_format", "may name at most "+strconv.Itoa(maxSortKeys)+" fields")
	}
	out := make([]pasarela.SortField, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		field, dir := p, "asc"
		if i := strings.LastIndexByte(p, '_'); i >= 0 {
			field, dir = p[:i], strings.ToLower(p[i+1:])
		}
		if dir != "asc" && dir != "desc" {
			return nil, pasarela.Invalid("sort", "sort_format", "direction must be asc or desc, as in createdAt_desc")
		}
		if field == "" || !isFieldName(field) {
			return nil, pasarela.Invalid("sort", "sort_format", `must be "field_dir,field_dir" with fields of letters and digits`)
		}
		out = append(out, pasarela.SortField{Field: coreSortField(field), Desc: dir == "desc"})
	}
	return out, nil
}

func isFieldName(s string) bool {
	if len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// coreSortField is the core's name of a field PayREST sorts by. A core name
// PayREST spells otherwise ("entity" for targetEntity) is not PayREST's, so
// it is marked to match no field: the core refuses it as it refuses any
// unknown name, and the message shows it as the client sent it.
func coreSortField(name string) string {
	if c, ok := sortFromWire[name]; ok {
		return c
	}
	if _, ok := wireFields[name]; ok {
		return notPayREST + name
	}
	return name
}

// notPayREST marks a sort field the client named with a core name PayREST
// does not use. It is not a letter or digit, so no field name has it.
const notPayREST = "!"

// cursorOption reads a list's cursor (the keyset paging of
// pasarela.ListOptions.After): the id of the last item of the page before,
// which the next page's Link gives (see nextLink).
func cursorOption(q url.Values, opts *pasarela.ListOptions) error {
	s := q.Get("cursor")
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return pasarela.Invalid("cursor", "cursor_format", "must be a cursor from the Link header of the page before (a positive integer)")
	}
	if q.Get("offset") != "" {
		return pasarela.Invalid("cursor", "after_offset", "give cursor or offset, not both")
	}
	opts.After = n
	return nil
}

// nextLink is the Link header value of the next page of a list paged by
// key: the request's own query with the cursor set to the last item's id
// (and no offset), or "" when this page is the last one (shorter than its
// limit) or the order is not by id, which a cursor cannot page.
func nextLink(r *http.Request, opts pasarela.ListOptions, n int, lastID int64) string {
	if n == 0 || n < opts.Limit || len(opts.Sort) > 1 || len(opts.Sort) == 1 && opts.Sort[0].Field != "id" {
		return ""
	}
	q := r.URL.Query()
	q.Del("offset")
	q.Set("limit", strconv.Itoa(opts.Limit))
	q.Set("cursor", strconv.FormatInt(lastID, 10))
	return "<" + r.URL.Path + "?" + q.Encode() + `>; rel="next"`
}

// writeList answers a list: a JSON array, the total in X-Total-Count.
func writeList[T any](w http.ResponseWriter, items []T, total int) {
	if items == nil {
		items = []T{}
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	writeJSON(w, http.StatusOK, items)
}
