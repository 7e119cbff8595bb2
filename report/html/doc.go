// Package html renders a report.Summary as one self-contained HTML page:
// inline CSS and inline SVG charts (no script, no fetch), deterministic for
// a given Summary. page.go builds what the template (html_template.html)
// shows; svg.go is the small SVG kit (elements, scales, axes); charts.go
// draws the latency distribution, percentile curve and per-second
// timelines; connections.go draws the connection timeline.
package html
