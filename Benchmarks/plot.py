#!/usr/bin/env python3
"""Draw sweep.sh's summary.csv as an SVG chart, using the standard library only.

    python3 Benchmarks/plot.py results/summary.csv results/chart.svg

One column per transport; the top row is throughput (msg/s), the bottom row
latency (µs), both against message size. All axes are logarithmic.
"""
import csv
import math
import sys
from xml.sax.saxutils import escape

PANEL_W, PANEL_H = 300, 220
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 70, 20, 70, 50
GAP_X, GAP_Y = 45, 55
SERIES = [  # (column prefix, label, colour, dash pattern)
    ("swift", "Swift", "#f05138", ""),
    ("c", "C", "#1f77b4", "6,4"),
]
METRICS = [  # (column suffix, axis title)
    ("msgs_per_s", "throughput [msg/s]"),
    ("latency_us", "latency [µs]"),
]


def number(text):
    try:
        return float(text)
    except ValueError:  # "NA"
        return None


def size_label(size):
    units = ["B", "KiB", "MiB", "GiB"]
    i = 0
    while size >= 1024 and i < len(units) - 1:
        size /= 1024
        i += 1
    return f"{size:g} {units[i]}"


def count_label(value):
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


class LogScale:
    """Maps [lo, hi] (positive) onto pixels [p0, p1] logarithmically."""

    def __init__(self, lo, hi, p0, p1):
        self.lo, self.hi = math.log10(lo), math.log10(hi)
        self.p0, self.p1 = p0, p1

    def __call__(self, value):
        t = (math.log10(value) - self.lo) / (self.hi - self.lo)
        return self.p0 + t * (self.p1 - self.p0)


def text(x, y, content, anchor="middle", size=11, extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>'
            f"{escape(content)}</text>")


def panel(out, x0, y0, rows, metric, title, sizes):
    """One chart: the metric of each series against size, at (x0, y0)."""
    values = [v for r in rows for prefix, *_ in SERIES
              if (v := number(r[f"{prefix}_{metric}"])) is not None and v > 0]
    out.append(f'<rect x="{x0}" y="{y0}" width="{PANEL_W}" height="{PANEL_H}" '
               'fill="white" stroke="#999"/>')
    out.append(text(x0 + PANEL_W / 2, y0 - 8, title, size=13, extra=' font-weight="bold"'))
    if not values:
        out.append(text(x0 + PANEL_W / 2, y0 + PANEL_H / 2, "no data"))
        return

    xs = LogScale(min(sizes) / 1.6, max(sizes) * 1.6, x0, x0 + PANEL_W)
    lo_dec = math.floor(math.log10(min(values)))
    hi_dec = math.ceil(math.log10(max(values)))
    hi_dec = max(hi_dec, lo_dec + 1)
    ys = LogScale(10 ** lo_dec, 10 ** hi_dec, y0 + PANEL_H, y0)

    # Grid: decades on y, powers of 16 bytes on x.
    for dec in range(lo_dec, hi_dec + 1):
        y = ys(10 ** dec)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + PANEL_W}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        out.append(text(x0 - 6, y + 4, count_label(10 ** dec), anchor="end", size=10))
    tick = 1
    while tick <= max(sizes) * 1.6:
        if tick >= min(sizes) / 1.6:
            x = xs(tick)
            out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + PANEL_H}" stroke="#e4e4e4"/>')
            out.append(text(x, y0 + PANEL_H + 15, size_label(tick), size=10))
        tick *= 16

    for prefix, _, colour, dash in SERIES:
        points = [(xs(int(r["size"])), ys(v)) for r in rows
                  if (v := number(r[f"{prefix}_{metric}"])) is not None and v > 0]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                       f'stroke-width="2" stroke-dasharray="{dash}"/>')
        for x, y in points:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot.py SUMMARY_CSV OUTPUT_SVG")
    with open(sys.argv[1], newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: int(r["size"]))
    transports = list(dict.fromkeys(r["transport"] for r in rows))
    sizes = sorted({int(r["size"]) for r in rows}) or [1]

    width = MARGIN_L + len(transports) * PANEL_W + (len(transports) - 1) * GAP_X + MARGIN_R
    height = MARGIN_T + 2 * PANEL_H + GAP_Y + MARGIN_B
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           text(width / 2, 24, "ZeroMQ perf tools: Swift vs C (median over reps)", size=16,
                extra=' font-weight="bold"')]

    # Legend, centred under the title.
    lx = width / 2 - 90
    for i, (_, label, colour, dash) in enumerate(SERIES):
        x = lx + i * 110
        out.append(f'<line x1="{x}" y1="44" x2="{x + 30}" y2="44" stroke="{colour}" '
                   f'stroke-width="2" stroke-dasharray="{dash}"/>')
        out.append(text(x + 36, 48, label, anchor="start", size=12))

    for row_index, (metric, axis_title) in enumerate(METRICS):
        y0 = MARGIN_T + row_index * (PANEL_H + GAP_Y)
        out.append(text(16, y0 + PANEL_H / 2, axis_title, size=12,
                        extra=f' transform="rotate(-90 16 {y0 + PANEL_H / 2})"'))
        for col, transport in enumerate(transports):
            x0 = MARGIN_L + col * (PANEL_W + GAP_X)
            panel(out, x0, y0, [r for r in rows if r["transport"] == transport],
                  metric, f"{transport} {axis_title.split()[0]}", sizes)
    out.append(text(width / 2, height - 12, "message size", size=12))
    out.append("</svg>")

    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
