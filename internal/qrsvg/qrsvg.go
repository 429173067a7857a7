// Package qrsvg draws QR codes as SVG on the server, for the pages that
// show one: a crypto deposit's address (internal/web) and an authenticator
// app's enrolment (internal/dashboard).
package qrsvg

import (
	"fmt"
	"html/template"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// A QR code is drawn on the server, as SVG inline in the page: no image
// request, no outside service, nothing the page's strict
// Content-Security-Policy must make room for, and sharp at any size.
//
// The QR encoder is github.com/skip2/go-qrcode: no dependencies beyond the
// standard library, and a plain bitmap of the symbol (Bitmap) that the
// few lines below turn into one SVG path. It has no SVG writer of its own;
// yeqown/go-qrcode/v2 has none in its core module either, and would bring
// its writer modules and image libraries for PNGs the page does not need.

// quietZone is the light margin around a symbol, in modules, that
// readers need (ISO/IEC 18004 asks for four).
const quietZone = 4

// SVG draws content as a QR code (error correction M, enough for a screen
// that may be photographed at an angle) in an SVG of one dark path over a
// light square, scaled by its viewBox. label is its accessible name.
func SVG(content, label string) (template.HTML, int, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return "", 0, err
	}
	q.DisableBorder = true // the margin is the viewBox's, below
	bitmap := q.Bitmap()
	n := len(bitmap)
	size := n + 2*quietZone
	var path strings.Builder
	for y, row := range bitmap {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			// One rectangle per run of dark modules in a row.
			fmt.Fprintf(&path, "M%d %dh%dv1h-%dz", x+quietZone, y+quietZone, run, run)
			x += run
		}
	}
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" class="qr" id="qr" viewBox="0 0 %d %d" role="img" aria-label="%s" `+
		`shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		size, size, template.HTMLEscapeString(label), size, size, path.String())
	return template.HTML(svg), q.VersionNumber, nil
}
