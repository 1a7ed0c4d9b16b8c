from itertools import pairwise

from stats import charts


def test_the_axis_top_is_a_round_number_at_or_above_the_largest_value():
    assert [charts.nice_max(v) for v in (0, 1, 3, 7, 10, 11, 260, 5001)] == [
        1, 1, 5, 10, 10, 20, 500, 10000,
    ]  # fmt: skip


def test_ticks_are_whole_numbers_evenly_spaced():
    chart = charts.grouped_bars(["01/2026", "02/2026"], [("A", [3, 9]), ("B", [0, 7])])
    assert [t["value"] for t in chart["ticks"]] == [0, 2, 4, 6, 8, 10]
    ys = [t["y"] for t in chart["ticks"]]
    assert len({round(a - b, 1) for a, b in pairwise(ys)}) == 1
    # The tallest bar (9 of 10) reaches 90 % of the plot's height; an empty one has none.
    plot = chart["baseline"] - charts.TOP
    tallest = max(chart["bars"], key=lambda bar: bar.height)
    assert tallest.label == "A: 9" and round(tallest.height / plot, 2) == 0.9
    assert min(bar.height for bar in chart["bars"]) == 0
    # Every bar stays inside the drawing.
    assert all(b.x >= charts.LEFT and b.x + b.width <= charts.WIDTH for b in chart["bars"])


def test_percent_bars_leave_a_row_without_figures_empty():
    chart = charts.percent_bars([("Sở A", 80.0), ("Sở B", None)])
    assert chart["bars"][1]["width"] == 0 and chart["bars"][1]["percent"] is None
    assert chart["bars"][0]["width"] > 0
