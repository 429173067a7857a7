package apidocs

import (
	"html"
	"html/template"
	"regexp"
	"strconv"
	"strings"
)

// The descriptions of the documents use a small part of CommonMark:
// paragraphs, "- " lists, `code`, **bold** and [links](url). This renders
// that part and shows anything else as the text it is. The text is escaped
// first, so nothing in a document can add markup of its own.
var (
	mdCode = regexp.MustCompile("`([^`]+)`")
	mdBold = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	mdLink = regexp.MustCompile(`\[([^\]]+)\]\(((?:https?://|#)[^)\s]+)\)`)
)

// markdown renders a description as HTML.
func markdown(s string) template.HTML {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, block := range strings.Split(s, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if isList(lines) {
			b.WriteString("<ul>")
			for _, item := range listItems(lines) {
				b.WriteString("<li>" + inline(item) + "</li>")
			}
			b.WriteString("</ul>")
			continue
		}
		b.WriteString("<p>" + inline(strings.Join(lines, " ")) + "</p>")
	}
	return template.HTML(b.String())
}

// isList reports a block that is a bullet list: its first line is an item.
func isList(lines []string) bool {
	return len(lines) > 0 && strings.HasPrefix(lines[0], "- ")
}

// listItems joins an item's continuation lines to it.
func listItems(lines []string) []string {
	var items []string
	for _, l := range lines {
		if strings.HasPrefix(l, "- ") {
			items = append(items, strings.TrimPrefix(l, "- "))
		} else if len(items) > 0 {
			items[len(items)-1] += " " + strings.TrimSpace(l)
		}
	}
	return items
}

// inline renders code spans, bold and links of one escaped line. Code
// spans are taken out first so that what they hold stays literal.
func inline(s string) string {
	s = html.EscapeString(strings.ReplaceAll(s, "\x00", ""))
	var codes []string
	s = mdCode.ReplaceAllStringFunc(s, func(m string) string {
		codes = append(codes, "<code>"+mdCode.FindStringSubmatch(m)[1]+"</code>")
		return "\x00" + strconv.Itoa(len(codes)-1) + "\x00"
	})
	s = mdBold.ReplaceAllString(s, "<strong>$1</strong>")
	s = mdLink.ReplaceAllString(s, `<a href="$2">$1</a>`)
	for i, c := range codes {
		s = strings.Replace(s, "\x00"+strconv.Itoa(i)+"\x00", c, 1)
	}
	return s
}
