package qrsvg

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestQRSVG checks a QR code without decoding it: the SVG
// is well-formed XML, its size is the symbol's modules for the version the
// encoder chose (17 + 4·version) plus the quiet zone, and its path draws
// only inside the symbol.
func TestQRSVG(t *testing.T) {
	for _, content := range []string{
		"bitcoin:bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu?amount=0.004",
		"bitcoin:bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu?amount=0.00600002&label=" + strings.Repeat("x", 300),
		"a",
	} {
		svg, version, err := SVG(content, `Pay "me" <now>`)
		if err != nil {
			t.Fatal(err)
		}
		if version < 1 || version > 40 {
			t.Fatalf("version %d", version)
		}
		var doc struct {
			XMLName xml.Name `xml:"svg"`
			ViewBox string   `xml:"viewBox,attr"`
			Label   string   `xml:"aria-label,attr"`
			Rect    struct {
				Width string `xml:"width,attr"`
			} `xml:"rect"`
			Path struct {
				D string `xml:"d,attr"`
			} `xml:"path"`
		}
		dec := xml.NewDecoder(strings.NewReader(string(svg)))
		dec.Strict = true
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%s: not well-formed: %v\n%s", content, err, svg)
		}
		modules := 17 + 4*version
		size := modules + 2*quietZone
		if doc.ViewBox != fmt.Sprintf("0 0 %d %d", size, size) || doc.Rect.Width != strconv.Itoa(size) {
			t.Fatalf("version %d: viewBox %q, rect %q, want %d modules and the quiet zone", version, doc.ViewBox, doc.Rect.Width, modules)
		}
		if doc.Label != `Pay "me" <now>` {
			t.Fatalf("label %q", doc.Label)
		}
		runs := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(doc.Path.D, -1)
		if len(runs) == 0 || len(strings.Join(regexp.MustCompile(`M\d+ \d+h\d+v1h-\d+z`).Split(doc.Path.D, -1), "")) != 0 {
			t.Fatalf("path %q", doc.Path.D)
		}
		rows := map[int]bool{}
		for _, r := range runs {
			x, _ := strconv.Atoi(r[1])
			y, _ := strconv.Atoi(r[2])
			w, _ := strconv.Atoi(r[3])
			if r[3] != r[4] || x < quietZone || y < quietZone || x+w > quietZone+modules || y >= quietZone+modules {
				t.Fatalf("run %v outside the %d-module symbol", r[0], modules)
			}
			rows[y] = true
		}
		// The finder patterns darken the symbol's first and last rows:
		// the symbol spans exactly the modules of its version.
		if !rows[quietZone] || !rows[quietZone+modules-1] {
			t.Fatalf("version %d: the first or last of %d rows is not drawn", version, modules)
		}
	}
}
