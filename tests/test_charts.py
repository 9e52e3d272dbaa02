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
