"""Server-side SVG charts for the billing pages.

The portal runs on intranets without internet access and ships no JavaScript chart
library, so charts are inline SVG built here. Amounts stay Decimal for everything a
reader sees (labels, percentages); floats are used only for geometry. Every piece of
text passes through markupsafe.escape. Colours come from CSS classes (portal.css,
"Billing charts") so a theme can restyle them; the palette's fill attributes are only a
fallback for when the stylesheet is absent (e.g. a saved page).
"""

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from math import ceil

from markupsafe import Markup, escape

Row = tuple[str, Decimal]

WIDTH = 640  # viewBox width; the SVG scales to its container (width 100%)
FONT = 12  # user units; geometry below assumes it, so CSS must not override it
SMALL = 11
CENT = Decimal("0.01")
LABEL_MAX = 14  # CJK-width units before a label is cut with an ellipsis
# Okabe–Ito colour-blind-safe palette; mirrored as --chart-c0..7 in portal.css.
PALETTE = (
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#999999",
)  # fmt: skip
DEFAULT_EMPTY = "暂无数据"  # the portal's default locale; pages pass a translated text


def format_amount(value: Decimal, places: int = 2) -> str:
    """1234567.805 -> '1,234,567.81': two places, half-up as on a bill (counts: places=0)."""
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"


def text_width(text: str, size: float = FONT) -> float:
    """Approximate rendered width: a CJK character is one em, ASCII about 0.55 em."""
    return sum(0.55 if ord(ch) < 128 else 1.0 for ch in text) * size


def truncate(text: str, limit: float = LABEL_MAX) -> str:
    """Cut text wider than limit (in CJK-width units), ending it with an ellipsis."""
    if text_width(text, 1) <= limit:
        return text
    out, used = "", 1.0  # room for the ellipsis
    for ch in text:
        used += 0.55 if ord(ch) < 128 else 1.0
        if used > limit:
            break
        out += ch
    return out + "…"


def percentages(amounts: Sequence[Decimal]) -> list[Decimal]:
    """Shares to one place that add up to exactly 100.0 (largest-remainder method), so a
    legend never shows a total of 99.9 % or 100.1 %."""
    total = sum(amounts, Decimal(0))
    tenths = [a * 1000 / total for a in amounts]
    floors = [t.to_integral_value(rounding=ROUND_FLOOR) for t in tenths]
    short = int(1000 - sum(floors))
    for i in sorted(range(len(tenths)), key=lambda i: floors[i] - tenths[i])[:short]:
        floors[i] += 1
    return [f / 10 for f in floors]


def _amount(value) -> Decimal:
    # Floats would leak binary rounding into figures printed on a bill.
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"chart amounts must be Decimal, not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError("chart amounts must be finite")
    return value


def _n(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _text(x, y, text, cls="chart-label", anchor="start", size=FONT, extra="") -> str:
    # font-size is an attribute, not CSS: the layout measured the text at this size.
    sized = f' font-size="{size}"' if size != FONT else ""
    return (
        f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{sized}{extra}>'
        f"{escape(text)}</text>"
    )


def _svg(title: str, height: float, body: list[str], desc: str = "") -> Markup:
    t = escape(title)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{t}" '
        f'viewBox="0 0 {WIDTH} {_n(height)}" width="100%" font-size="{FONT}"><title>{t}</title>'
    )
    if desc:
        head += f"<desc>{escape(desc)}</desc>"
    # Safe: every text in head and body went through escape(); the rest is our markup.
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704


def _empty(title: str, text: str) -> Markup:
    return _svg(title, 80, [_text(WIDTH / 2, 44, text, "chart-empty", "middle")])


def _summary(rows: Sequence[Row], unit: str, places: int = 2) -> str:
    # Screen readers get the figures the sighted reader sees, in order.
    return "; ".join(f"{label}: {format_amount(v, places)} {unit}".rstrip() for label, v in rows)


def nice_ticks(top: Decimal) -> list[Decimal]:
    """Gridline values from 0 up to >= top in steps of 1, 2, 2.5 or 5 × 10^k: the smallest
    such step >= top/4 gives 3 or 4 lines above zero (fewer only for tops under 0.03)."""
    raw, e = top / 4, (top / 4).adjusted()
    step = next(
        Decimal(m).scaleb(x) for x in (e, e + 1) for m in ("1", "2", "2.5", "5")
        if Decimal(m).scaleb(x) >= raw
    )  # fmt: skip
    step = max(step, CENT)  # bills count in fen; finer gridlines would mean nothing
    count = int((top / step).to_integral_value(rounding=ROUND_CEILING))
    return [step * i for i in range(count + 1)]


def _tick_label(value: Decimal) -> str:
    # Ticks are round numbers: no ".00" clutter unless the step is fractional.
    places = max(0, -value.normalize().as_tuple().exponent) if value else 0
    return f"{value:,.{places}f}"


def trend_chart(
    points: Sequence[Row], *, title: str, unit: str = "元", empty_text: str = DEFAULT_EMPTY
) -> Markup:
    """Columns over time (months or days) with a y axis and value labels."""
    points = [(str(label), _amount(v)) for label, v in points]
    peak = max((v for _, v in points), default=Decimal(0))
    if peak <= 0:
        return _empty(title, empty_text)
    ticks = nice_ticks(peak)
    top = float(ticks[-1])
    left = max(text_width(_tick_label(t), SMALL) for t in ticks) + 12
    slot = (WIDTH - left - 8) / len(points)
    values = [format_amount(v) for _, v in points]
    value_w = max(text_width(s, SMALL) for s in values)
    # Value labels sit flat if they fit the column's slot, else turn vertical (headroom
    # grows to fit them); if even that does not fit they are left to the tooltips.
    mode = "flat" if value_w + 4 <= slot else "up" if slot >= SMALL + 2 else "none"
    plot_top = 2 * FONT + 8 + (value_w if mode == "up" else 0)
    plot_h = 180.0
    base = plot_top + plot_h
    height = base + FONT + 14
    # Thin out the x labels (days) so that neighbours do not overlap.
    every = ceil((max(text_width(lbl, SMALL) for lbl, _ in points) + 4) / slot)
    body = [_text(4, FONT + 2, unit, "chart-label chart-unit")]
    body.append('<g class="chart-axis">')
    for t in ticks:
        y = base - float(t) / top * plot_h
        body.append(f'<line x1="{_n(left)}" x2="{WIDTH - 8}" y1="{_n(y)}" y2="{_n(y)}"/>')
        body.append(_text(left - 6, y + 4, _tick_label(t), anchor="end", size=SMALL))
    body.append("</g>")
    for i, ((label, value), shown) in enumerate(zip(points, values, strict=True)):
        h = max(float(value), 0.0) / top * plot_h
        cx = left + slot * (i + 0.5)
        body.append(
            f"<g><title>{escape(f'{label}: {shown} {unit}'.rstrip())}</title>"
            f'<rect class="chart-bar" x="{_n(cx - slot * 0.3)}" y="{_n(base - h)}" '
            f'width="{_n(slot * 0.6)}" height="{_n(h)}"/></g>'
        )
        if mode == "flat":
            body.append(_text(cx, base - h - 4, shown, "chart-value", "middle", SMALL))
        elif mode == "up":
            y = base - h - 4
            rot = f' transform="rotate(-90 {_n(cx + 4)} {_n(y)})"'
            body.append(_text(cx + 4, y, shown, "chart-value", "start", SMALL, rot))
        if i % every == 0:
            body.append(_text(cx, base + FONT + 4, label, anchor="middle", size=SMALL))
    return _svg(title, height, body, _summary(points, unit))


def bar_chart(
    rows: Sequence[Row],
    *,
    title: str,
    unit: str = "元",
    limit: int = 10,
    empty_text: str = DEFAULT_EMPTY,
    places: int = 2,
) -> Markup:
    """Horizontal bars in the order given (top consumers first); the largest value spans
    the full bar area, long labels are cut with an ellipsis and kept whole in a tooltip.
    Values are shown with `places` decimals (0 for counts)."""
    rows = [(str(label), _amount(v)) for label, v in rows][:limit]
    peak = max((v for _, v in rows), default=Decimal(0))
    if peak <= 0:
        return _empty(title, empty_text)
    labels = [truncate(label) for label, _ in rows]
    values = [f"{format_amount(v, places)} {unit}".rstrip() for _, v in rows]
    label_w = max(text_width(s) for s in labels) + 10
    area = WIDTH - label_w - max(text_width(s) for s in values) - 14
    row_h, bar_h = 28, 18
    body = []
    for i, ((label, value), short, shown) in enumerate(zip(rows, labels, values, strict=True)):
        y = 6 + i * row_h
        w = max(float(value), 0.0) / float(peak) * area
        w = max(w, 1.0) if value > 0 else w  # a tiny consumer still shows a sliver
        mid = y + bar_h / 2 + 4
        body += [
            f"<g><title>{escape(label)}: {escape(shown)}</title>",
            _text(label_w - 8, mid, short, anchor="end"),
            f'<rect class="chart-bar" x="{_n(label_w)}" y="{y}" width="{_n(w)}" height="{bar_h}"/>',
            _text(label_w + w + 6, mid, shown, "chart-value"),
            "</g>",
        ]
    return _svg(title, 12 + len(rows) * row_h, body, _summary(rows, unit, places))


def share_chart(
    rows: Sequence[Row], *, title: str, unit: str = "元", empty_text: str = DEFAULT_EMPTY
) -> Markup:
    """One 100 % stacked bar plus a legend of label, amount and percentage per row.
    Amounts must not be negative: a share of a total is meaningless otherwise."""
    rows = [(str(label), _amount(v)) for label, v in rows]
    if any(v < 0 for _, v in rows):
        raise ValueError("share_chart amounts must not be negative")
    total = sum((v for _, v in rows), Decimal(0))
    if total <= 0:
        return _empty(title, empty_text)
    shares = percentages([v for _, v in rows])
    labels = [label for label, _ in rows]
    amounts = [f"{format_amount(v)} {unit}".rstrip() for _, v in rows]
    pad, bar_h, line_h = 8, 28, 22
    body, x = [], float(pad)
    for i, ((label, value), pct) in enumerate(zip(rows, shares, strict=True)):
        w = float(value / total) * (WIDTH - 2 * pad)
        tip = f"{label}: {amounts[i]} ({pct:.1f}%)"
        body.append(
            f'<g><title>{escape(tip)}</title><rect class="chart-slice chart-c{i % 8}" '
            f'fill="{PALETTE[i % 8]}" x="{_n(x)}" y="{pad}" width="{_n(w)}" height="{bar_h}"/></g>'
        )
        x += w
    amount_x, pct_x = WIDTH - 90, WIDTH - pad
    body.append('<g class="chart-legend">')
    for i, (label, shown, pct) in enumerate(zip(labels, amounts, shares, strict=True)):
        y = pad + bar_h + 14 + i * line_h
        body.append(
            f"<g><title>{escape(label)}</title>"
            f'<rect class="chart-c{i % 8}" fill="{PALETTE[i % 8]}" x="{pad}" y="{y}" '
            f'width="12" height="12" rx="2"/>'
            + _text(pad + 20, y + 11, truncate(label, 24))
            + _text(amount_x, y + 11, shown, "chart-value", "end")
            + _text(pct_x, y + 11, f"{pct:.1f}%", "chart-value chart-pct", "end")
            + "</g>"
        )
    body.append("</g>")
    height = pad + bar_h + 14 + len(rows) * line_h
    legend = zip(labels, amounts, shares, strict=True)
    return _svg(title, height, body, "; ".join(f"{a}: {b} ({p:.1f}%)" for a, b, p in legend))
