"""Billing charts: inline SVG that parses, is labelled for screen readers, escapes every
text and shows amounts exactly as Decimal rounds them on a bill."""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from markupsafe import Markup

from portal.billing.charts import (
    PALETTE,
    bar_chart,
    format_amount,
    nice_ticks,
    percentages,
    share_chart,
    text_width,
    trend_chart,
    truncate,
)

NS = "{http://www.w3.org/2000/svg}"
MONTHS = [("2026-06", Decimal("1200.50")), ("2026-07", Decimal("980")), ("2026-08", Decimal(0))]
ROWS = [("财政局", Decimal("300")), ("教育局", Decimal("150.25")), ("卫健委", Decimal("49.75"))]


def parse(svg):
    """The chart inside an HTML-ish wrapper, parsed as XML; returns the <svg> element."""
    root = ET.fromstring(f"<div>{svg}</div>")  # noqa: S314 - our own output, not untrusted
    (el,) = root
    assert el.tag == f"{NS}svg"
    return el


def texts(el, cls=None):
    return [
        "".join(t.itertext())
        for t in el.iter(f"{NS}text")
        if cls is None or cls in t.get("class", "").split()
    ]


def bars(el, cls="chart-bar"):
    return [r for r in el.iter(f"{NS}rect") if cls in r.get("class", "").split()]


CHARTS = [
    lambda rows, title="趋势", **kw: trend_chart(rows, title=title, **kw),
    lambda rows, title="排行", **kw: bar_chart(rows, title=title, **kw),
    lambda rows, title="构成", **kw: share_chart(rows, title=title, **kw),
]


@pytest.mark.parametrize("chart", CHARTS)
def test_charts_are_labelled_responsive_svg(chart):
    svg = chart(ROWS)
    assert isinstance(svg, Markup)
    el = parse(svg)
    assert el.get("role") == "img"
    assert el.get("aria-label") == el.find(f"{NS}title").text
    assert el.get("aria-label") in {"趋势", "排行", "构成"}
    assert el.get("width") == "100%"
    assert re.fullmatch(r"0 0 640 [\d.]+", el.get("viewBox"))
    assert "chart" in el.get("class").split()
    # A screen reader hears the figures, not only the title.
    assert "300.00" in el.find(f"{NS}desc").text


@pytest.mark.parametrize("chart", CHARTS)
def test_every_text_is_escaped(chart):
    label = '<script>alert("x")</script> & co'
    svg = chart([(label, Decimal(5))], unit="<元>")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    el = parse(svg)
    # Escaped once, not twice: the parsed text is the original label.
    shown = texts(el) + [t.text for t in el.iter(f"{NS}title")]
    assert any(label in s for s in shown)
    title = 'Bills "2026" <all>'
    el = parse(chart(ROWS, title=title))
    assert el.get("aria-label") == title
    assert el.find(f"{NS}title").text == title


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234567.805"), "1,234,567.81"),
        (Decimal("2.675"), "2.68"),  # 2.675 as a float is 2.67499…
        (Decimal("0.005"), "0.01"),
        (Decimal("1000"), "1,000.00"),
        (7, "7.00"),
    ],
)
def test_amounts_are_rounded_half_up_from_decimal(value, shown):
    assert format_amount(Decimal(value)) == shown
    assert f"{shown} 元" in texts(parse(bar_chart([("a", value)], title="t")), "chart-value")
    legend = texts(parse(share_chart([("a", value)], title="t")), "chart-value")
    assert legend == [f"{shown} 元", "100.0%"]


def test_trend_labels_columns_with_exact_values():
    el = parse(trend_chart(MONTHS, title="月度费用", unit="元"))
    assert texts(el, "chart-value") == ["1,200.50", "980.00", "0.00"]
    assert {"2026-06", "2026-07", "2026-08"} <= set(texts(el))
    assert "元" in texts(el, "chart-unit")
    tips = [t.text for g in el.iter(f"{NS}g") if (t := g.find(f"{NS}title")) is not None]
    assert tips == ["2026-06: 1,200.50 元", "2026-07: 980.00 元", "2026-08: 0.00 元"]
    heights = [float(r.get("height")) for r in bars(el)]
    assert heights[2] == 0
    assert heights[0] / heights[1] == pytest.approx(1200.50 / 980, rel=1e-3)


def test_trend_gridlines_are_nice_and_cover_the_peak():
    el = parse(trend_chart(MONTHS, title="t"))
    axis = next(g for g in el.iter(f"{NS}g") if g.get("class") == "chart-axis")
    assert texts(axis) == ["0", "500", "1,000", "1,500"]
    assert len(axis.findall(f"{NS}line")) == 4


@pytest.mark.parametrize(
    "top", ["0.5", "1", "3", "7.3", "10", "99", "1200.50", "4000", "4001", "123456789.99"]
)
def test_nice_ticks_give_three_to_five_gridlines(top):
    ticks = nice_ticks(Decimal(top))
    assert ticks[0] == 0 and ticks[-1] >= Decimal(top) > ticks[-2]
    assert 3 <= len(ticks) - 1 <= 4
    step = ticks[1]
    assert step.scaleb(-step.adjusted()).normalize() in {1, 2, Decimal("2.5"), 5}


def test_many_days_thin_out_the_axis_labels_and_turn_values_upright():
    days = [(f"2026-06-{d:02d}", Decimal(d * 1000)) for d in range(1, 31)]
    el = parse(trend_chart(days, title="t"))
    assert len(bars(el)) == 30
    shown = [t for t in texts(el) if t.startswith("2026-06-")]
    assert "2026-06-01" in shown and 5 <= len(shown) < 30
    upright = [t for t in el.iter(f"{NS}text") if "rotate(-90" in t.get("transform", "")]
    assert len(upright) == 30


@pytest.mark.parametrize("chart", CHARTS)
@pytest.mark.parametrize("rows", [[], [("a", Decimal(0)), ("b", Decimal("0.00"))]])
def test_empty_and_all_zero_show_the_empty_text(chart, rows):
    el = parse(chart(rows, empty_text="No data <yet>"))
    assert texts(el, "chart-empty") == ["No data <yet>"]
    assert not list(el.iter(f"{NS}rect"))
    assert el.get("role") == "img" and el.get("aria-label")


def test_empty_text_defaults_to_the_portal_locale():
    assert texts(parse(trend_chart([], title="t")), "chart-empty") == ["暂无数据"]


def test_bars_are_proportional_and_the_largest_spans_the_area():
    rows = [("a", Decimal("400")), ("b", Decimal("100")), ("c", Decimal("300")), ("d", 0)]
    el = parse(bar_chart(rows, title="t"))
    widths = [float(r.get("width")) for r in bars(el)]
    xs = {r.get("x") for r in bars(el)}
    assert len(xs) == 1  # every bar starts at the same baseline
    assert widths[1] / widths[0] == pytest.approx(0.25, rel=1e-3)
    assert widths[2] / widths[0] == pytest.approx(0.75, rel=1e-3)
    assert widths[3] == 0
    # The largest bar fills all the room left between the labels and its value label.
    value = next(t for t in el.iter(f"{NS}text") if "".join(t.itertext()) == "400.00 元")
    assert float(value.get("x")) == pytest.approx(float(xs.pop()) + widths[0] + 6, abs=0.02)
    assert widths[0] > 300


def test_bar_chart_keeps_the_given_order_and_limit():
    rows = [(f"项目{i}", Decimal(i)) for i in range(1, 16)]
    el = parse(bar_chart(rows, title="t", limit=10))
    assert texts(el, "chart-label") == [f"项目{i}" for i in range(1, 11)]
    assert len(bars(el)) == 10


def test_long_labels_are_cut_and_kept_whole_in_the_tooltip():
    long = "财政局信息中心数据共享交换平台项目组"
    el = parse(bar_chart([(long, Decimal("1")), ("short", Decimal("2"))], title="t"))
    labels = texts(el, "chart-label")
    assert labels[0].endswith("…") and long.startswith(labels[0][:-1])
    assert text_width(labels[0], 1) <= 14
    assert labels[1] == "short"
    assert f"{long}: 1.00 元" in [t.text for t in el.iter(f"{NS}title")]


def test_truncate_measures_cjk_as_one_and_ascii_as_055():
    assert truncate("a" * 25) == "a" * 25  # 13.75 wide
    assert truncate("a" * 26) == "a" * 23 + "…"
    assert truncate("汉" * 14) == "汉" * 14
    assert truncate("汉" * 15) == "汉" * 13 + "…"


def test_share_legend_lists_every_row_with_amount_and_percentage():
    el = parse(share_chart(ROWS, title="t"))
    legend = next(g for g in el.iter(f"{NS}g") if g.get("class") == "chart-legend")
    assert texts(legend, "chart-label") == ["财政局", "教育局", "卫健委"]
    assert texts(legend, "chart-value") == [
        "300.00 元", "60.0%", "150.25 元", "30.1%", "49.75 元", "9.9%",
    ]  # fmt: skip
    widths = [float(r.get("width")) for r in bars(el, "chart-slice")]
    assert sum(widths) == pytest.approx(640 - 16, abs=0.05)
    assert widths[0] / widths[1] == pytest.approx(300 / 150.25, rel=1e-3)


@pytest.mark.parametrize(
    "amounts",
    [[1, 1, 1], [1, 2, 3, 4, 5, 6, 7], [Decimal("0.01"), 999, 1], [5] * 9, [1], [0, 3]],
)
def test_share_percentages_add_up_to_exactly_100(amounts):
    amounts = [Decimal(a) for a in amounts]
    shares = percentages(amounts)
    assert sum(shares) == 100
    total = sum(amounts)
    for share, amount in zip(shares, amounts, strict=True):
        assert abs(share - amount * 100 / total) < Decimal("0.1")
    legend = texts(parse(share_chart([(str(i), a) for i, a in enumerate(amounts)], title="t")))
    shown = [Decimal(t[:-1]) for t in legend if t.endswith("%")]
    assert sum(shown) == 100 and len(shown) == len(amounts)


def test_share_colours_cycle_through_the_palette():
    rows = [(f"r{i}", Decimal(1)) for i in range(10)]
    el = parse(share_chart(rows, title="t"))
    fills = [r.get("fill") for r in bars(el, "chart-slice")]
    assert fills == [PALETTE[i % 8] for i in range(10)]
    assert len(set(PALETTE)) == 8


def test_the_stylesheet_mirrors_the_palette():
    css = (Path(__file__).parents[2] / "portal/static/css/portal.css").read_text("utf-8")
    block = css[css.index("/* Billing charts */") :]
    for i, colour in enumerate(PALETTE):
        assert f"--chart-c{i}: {colour};" in block
    for cls in ("chart", "chart-bar", "chart-axis", "chart-label"):
        assert f".{cls} " in block


def test_amounts_must_be_decimal_and_shares_not_negative():
    with pytest.raises(TypeError):
        bar_chart([("a", 1.5)], title="t")
    with pytest.raises(TypeError):
        trend_chart([("a", "1.5")], title="t")
    with pytest.raises(ValueError):
        trend_chart([("a", Decimal("NaN"))], title="t")
    with pytest.raises(ValueError):
        share_chart([("a", Decimal(5)), ("credit", Decimal(-1))], title="t")


def test_negative_amounts_draw_no_column_but_show_their_value():
    el = parse(trend_chart([("6月", Decimal("-20")), ("7月", Decimal("40"))], title="t"))
    assert float(bars(el)[0].get("height")) == 0
    assert texts(el, "chart-value") == ["-20.00", "40.00"]
