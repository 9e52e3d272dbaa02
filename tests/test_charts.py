from xml.etree import ElementTree

from partnerportal.charts import bar_chart, column_chart, line_chart


def _parse(svg):
    return ElementTree.fromstring(str(svg))


def test_bar_chart_draws_a_bar_per_item_with_escaped_labels():
    svg = bar_chart([("<script>", 3), ("Contoso", 6)], title="Responses")
    root = _parse(svg)
    rects = root.findall("{http://www.w3.org/2000/svg}rect")
    assert len(rects) == 2
    # The longest bar belongs to the largest value.
    assert float(rects[1].get("width")) > float(rects[0].get("width"))
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)


def test_charts_describe_their_numbers_for_screen_readers():
    svg = column_chart([("Jan", 4), ("Feb", 0)], title="Per month")
    desc = _parse(svg).find("{http://www.w3.org/2000/svg}desc").text
    assert desc == "Jan: 4; Feb: 0"


def test_line_chart_leaves_a_gap_for_missing_values():
    svg = line_chart([("1", 1), ("2", None), ("3", 3)], title="NPS")
    assert str(svg).count("<polyline") == 2


def test_empty_charts_render():
    for chart in (bar_chart, column_chart, line_chart):
        _parse(chart([], title="Nothing"))


def _y_labels(svg):
    ns = "{http://www.w3.org/2000/svg}"
    return [t.text for t in _parse(svg).findall(f"{ns}text") if t.get("text-anchor") == "end"]


def test_count_axes_print_whole_numbers_that_are_the_values_of_their_lines():
    # Two responses at most: 0, 1, 2, not "0, 0, 1, 2, 2" from quarter steps.
    assert _y_labels(column_chart([("3", 1), ("5", 2)], title="Scores")) == ["0", "1", "2"]
    assert _y_labels(column_chart([("Jan", 1)], title="Per month")) == ["0", "1"]
    # The top grows to the next round tick, and the tallest bar stays below it.
    assert _y_labels(column_chart([("Jan", 7)], title="Per month")) == ["0", "2", "4", "6", "8"]
    assert _y_labels(column_chart([("Jan", 100)], title="Per month")) == ["0", "25", "50", "75", "100"]


def test_column_heights_follow_the_axis():
    root = _parse(column_chart([("a", 2), ("b", 1)], title="Scores"))
    ns = "{http://www.w3.org/2000/svg}"
    grid = sorted(float(line.get("y1")) for line in root.findall(f"{ns}line"))
    bars = root.findall(f"{ns}rect")
    # The bar of 2 reaches the line labelled 2 (the top one); the bar of 1 the middle line.
    assert float(bars[0].get("y")) == grid[0]
    assert float(bars[1].get("y")) == grid[1]
