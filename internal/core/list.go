package core

import (
	"sort"
	"strings"

	"github.com/pasarela/pasarela"
)

// List limits shared by every face.
const (
	DefaultLimit = 10
	MaxLimit     = 100
)

// checkList validates paging and ordering against the fields a resource may
// be sorted by, filling in the defaults.
func checkList(opts *pasarela.ListOptions, sortable map[string]string) error {
	var v pasarela.Validation
	if opts.Limit == 0 {
		opts.Limit = DefaultLimit
	}
	if opts.Limit < 1 || opts.Limit > MaxLimit {
		v.Add("limit", "range", "limit must be between 1 and 100")
	}
	if opts.Offset < 0 {
		v.Add("offset", "range", "offset must be 0 or more")
	}
	if opts.After != 0 {
		// Only the lists that page by key say so (checkKeysetList).
		v.Add("after", "after_unsupported", "this list pages by offset only")
	}
	for _, s := range opts.Sort {
		if _, ok := sortable[s.Field]; !ok {
			// The fields are the core's names; a face renames both
			// params to word the message its own way.
			fields := strings.Join(sortedKeys(sortable), ", ")
			v.AddParams("sort", "sort_field", "cannot sort by "+quoteField(s.Field)+"; sortable fields: "+fields,
				map[string]string{"field": s.Field, "sortable": fields})
			break
		}
	}
	return v.Err()
}

// checkKeysetList is checkList for a list that may also be paged by key
// (pasarela.ListOptions.After), whose id field is idField: a cursor needs an
// order by that field alone and no offset.
func checkKeysetList(opts *pasarela.ListOptions, sortable map[string]string, idField string) error {
	after := opts.After
	opts.After = 0
	err := checkList(opts, sortable)
	opts.After = after
	if err != nil || after == 0 {
		return err
	}
	var v pasarela.Validation
	switch {
	case after < 0:
		v.Add("after", "range", "a cursor is the id of the last item of a page")
	case opts.Offset != 0:
		v.Add("after", "after_offset", "a cursor and an offset cannot be combined")
	case len(opts.Sort) > 1 || len(opts.Sort) == 1 && opts.Sort[0].Field != idField:
		v.Add("after", "after_sort", "a cursor pages a list ordered by "+idField+" only")
	}
	return v.Err()
}

// quoteField keeps an echoed field name short and printable.
func quoteField(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "'" + strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s) + "'"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
