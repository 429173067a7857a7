package dashboard

import (
	"fmt"
	"html/template"
	"strings"
)

// Charts are drawn on the server as inline SVG: no script, no outside
// library, nothing the Content-Security-Policy must allow, and a chart is
// there before any JavaScript would run. Each bar carries a <title> (the
// browser's tooltip and what a screen reader reads), and the figure says
// what it shows in words.

// series is one stacked part of every bar.
type series struct {
	Name   string
	Color  string
	Values []int64 // one per bar
}

// chartSize is the drawing's coordinate system; the SVG scales to its box.
// It is narrow enough that its text stays readable when a phone shrinks it
// to 360 px, and wide enough for 30 bars.
const (
	chartW, chartH      = 560, 260
	chartLeft, chartTop = 60, 14
	chartBottom         = 30
)

// barChart draws stacked bars, one per label, with a y axis of three
// ticks. axis formats a value for the axis (short), value for the
// tooltips; tip names a bar in its tooltip.
func barChart(id, label string, labels, tips []string, ss []series, axis, value func(int64) string) template.HTML {
	n := len(labels)
	var top int64
	for i := range n {
		var sum int64
		for _, s := range ss {
			sum += s.Values[i]
		}
		top = max(top, sum)
	}
	top = niceCeil(top)
	plotW, plotH := float64(chartW-chartLeft-8), float64(chartH-chartTop-chartBottom)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" id="%s" viewBox="0 0 %d %d" role="img" aria-label="%s" font-size="15" font-family="system-ui, sans-serif">`,
		id, chartW, chartH, template.HTMLEscapeString(label))
	for k := 0; k <= 2; k++ {
		v := top * int64(k) / 2
		y := float64(chartTop) + plotH - plotH*float64(k)/2
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d1d5db"/>`, chartLeft, chartW-8, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#4b5563" dominant-baseline="middle">%s</text>`,
			chartLeft-6, y, template.HTMLEscapeString(axis(v)))
	}
	slot := plotW / float64(max(n, 1))
	barW := slot * 0.7
	for i := range n {
		x := float64(chartLeft) + slot*float64(i) + (slot-barW)/2
		base := float64(chartTop) + plotH
		for _, s := range ss {
			v := s.Values[i]
			if v <= 0 || top == 0 {
				continue
			}
			h := plotH * float64(v) / float64(top)
			base -= h
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s · %s: %s</title></rect>`,
				x, base, barW, h, s.Color, template.HTMLEscapeString(tips[i]), template.HTMLEscapeString(s.Name),
				template.HTMLEscapeString(value(v)))
		}
		if labels[i] != "" {
			// The last label ends at its bar, so that it stays inside.
			anchor, lx := "middle", x+barW/2
			if i == n-1 {
				anchor, lx = "end", x+barW
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="%s" fill="#4b5563">%s</text>`,
				lx, chartH-8, anchor, template.HTMLEscapeString(labels[i]))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// hbar is one bar of a horizontal chart.
type hbar struct {
	Label string
	Value int64
	Text  string // the value as shown
}

// hbarChart draws one horizontal bar per entry, in the order given, each
// under its label so that long names fit on a phone.
func hbarChart(id, label, color string, bars []hbar) template.HTML {
	const rowH, w, textW = 48, 560, 90
	h := rowH*len(bars) + 4
	var top int64
	for _, b := range bars {
		top = max(top, b.Value)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="hbar" id="%s" viewBox="0 0 %d %d" role="img" aria-label="%s" font-size="15" font-family="system-ui, sans-serif">`,
		id, w, h, template.HTMLEscapeString(label))
	for i, bar := range bars {
		y := i*rowH + 4
		fmt.Fprintf(&b, `<text x="0" y="%d" fill="#1b1f24">%s</text>`, y+14, template.HTMLEscapeString(truncate(bar.Label, 60)))
		width := 0.0
		if top > 0 {
			width = float64(w-textW) * float64(bar.Value) / float64(top)
		}
		fmt.Fprintf(&b, `<rect x="0" y="%d" width="%.1f" height="18" rx="3" fill="%s"><title>%s: %s</title></rect>`,
			y+22, width, color, template.HTMLEscapeString(bar.Label), template.HTMLEscapeString(bar.Text))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#1b1f24">%s</text>`, width+8, y+36, template.HTMLEscapeString(bar.Text))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// niceCeil rounds a chart's top up to 2, 4, 6, 8 or 10 times a power of
// ten, so that the axis (0, half, top) reads in round, whole numbers.
func niceCeil(v int64) int64 {
	if v <= 2 {
		return 2
	}
	p := int64(1)
	for p*10 < v {
		p *= 10
	}
	for _, m := range []int64{2, 4, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
