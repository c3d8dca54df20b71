import json

import pytest

from rich.console import Console

from propscope.render import json as render_json
from propscope.render import semeval
from propscope.render.terminal import print_analysis
from propscope.spans import Analysis, Span

TEXT = "They are traitors and liars, all of them.\nTraitors!"
SPANS = (Span("9", 9, 17, "Name_Calling,Labeling", 0.81), Span("9", 9, 27, "Loaded_Language", 0.4),
         Span("9", 42, 50, "Repetition", 0.6))
ANALYSIS = Analysis(TEXT, SPANS, article_id="9", source="a/article9.txt", model="m1")


def test_semeval_lines_are_tab_separated_with_exact_names():
    out = semeval.lines(SPANS).splitlines()
    assert out[0] == "9\tName_Calling,Labeling\t9\t17"
    assert len(out) == 3 and all(len(line.split("\t")) == 4 for line in out)


def test_json_is_versioned_and_round_trips_offsets():
    obj = json.loads(render_json.dumps(ANALYSIS))
    assert obj["schema"] == render_json.SCHEMA and obj["source"] == "a/article9.txt" and obj["model"] == "m1"
    assert obj["text"] == TEXT
    assert [(s["start"], s["end"], s["technique"]) for s in obj["spans"]] == [(s.start, s.end, s.technique)
                                                                              for s in SPANS]
    assert all(s["fragment"] == TEXT[s["start"]:s["end"]] for s in obj["spans"])
    assert obj["summary"]["counts"] == {"Name_Calling,Labeling": 1, "Loaded_Language": 1, "Repetition": 1}
    assert obj["summary"]["coverage"] == round((27 - 9 + 8) / len(TEXT), 4)
    assert obj["filter"] == {"threshold": 0.0, "techniques": None}
    kept = json.loads(render_json.dumps(ANALYSIS.filtered(0.4, ["Repetition"])))
    assert kept["filter"] == {"threshold": 0.4, "techniques": ["Repetition"]}
    assert kept["summary"]["spans"] == len(kept["spans"])


def test_json_keeps_non_ascii_readable():
    a = Analysis("Ça va — “très” bien", (Span("", 0, 2, "Slogans"),))
    assert "“très”" in render_json.dumps(a)


def test_terminal_shows_text_fragments_and_legend():
    console = Console(record=True, width=120)
    print_analysis(ANALYSIS, console)
    out = console.export_text()
    assert "They are traitors" in out and "9-17" in out and "0.81" in out
    assert "Name calling or labelling" in out and "3 fragments" in out


def test_terminal_keeps_offsets_and_confidences_whole_in_a_narrow_terminal():
    long = Analysis("x" * 3000, (Span("9", 2544, 2562, "Loaded_Language", 0.1382),), article_id="9")
    for width in (40, 20):
        console = Console(record=True, width=width)
        print_analysis(long, console)
        out = console.export_text()
        assert "2544-2562" in out and "0.13" in out, out      # rounded down: 0.14 would hide it
    wrapped = Analysis("x " * 20 + "the most reckless and corrupt traitors in the whole history of this nation",
                       (Span("9", 40, 113, "Loaded_Language", 0.5),), article_id="9")
    console = Console(record=True, width=30)
    print_analysis(wrapped, console)
    lines = console.export_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  the most"))
    assert lines[at + 1].startswith("  ") and lines[at + 1].strip()          # indented as it wraps
    assert not any(line.endswith(" ") for line in lines[at:at + 3])          # and not filled with spaces


def test_terminal_colours_stay_on_their_fragments_after_carriage_returns_and_form_feeds():
    from propscope.render.terminal import render
    text = "Report.\r\nMore.\x0c\rThe corrupt elites are destroying our great nation!"
    start = text.index("The corrupt")
    body = render(Analysis(text, (Span("1", start, len(text), "Loaded_Language", 0.7),))).renderables[0]
    assert [body.plain[s.start:s.end] for s in body.spans] == ["The corrupt elites are destroying our great nation!"]


def test_terminal_prints_brackets_as_text_and_no_escape_sequences():
    text = "The reckless [/x] traitors [sic] \x1b]0;PWNED\x07\x1b[2J will destroy our great nation."
    a = Analysis(text, (Span("1", 0, len(text) - 1, "Loaded_Language", 0.7),), source="from [bold]here.txt")
    console = Console(record=True, width=200)
    print_analysis(a, console)
    out = console.export_text()
    assert "[/x] traitors [sic]" in out and "from [bold]here.txt" in out
    assert "\x1b" not in out and "\x07" not in out


def test_csv_cells_a_spreadsheet_would_run_are_quoted_off():
    import csv
    import io
    from propscope.render import csv as render_csv
    text = "=HYPERLINK(1) the traitors"
    a = Analysis(text, (Span("=cmd", 0, 13, "Loaded_Language", 0.7),), article_id="=cmd", source="@SUM(1)")
    row = list(csv.reader(io.StringIO(render_csv.rows([a]))))[1]
    assert row[0] == "'=cmd" and row[1] == "'@SUM(1)" and row[7] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_guards_every_character_a_spreadsheet_starts_a_formula_with(first):
    import csv
    import io
    from propscope.render import csv as render_csv
    text = first + "1 the traitors"
    row = list(csv.reader(io.StringIO(render_csv.rows([Analysis(text, (Span("a", 0, 2, "Slogans", 0.5),))]))))[1]
    assert row[7] == "'" + text[:2]


def test_csv_reads_back_a_fragment_broken_by_a_lone_carriage_return():
    import csv
    import io
    from propscope.render import csv as render_csv
    text = "The traitors\rwill pay"
    rows = list(csv.reader(io.StringIO(render_csv.rows([Analysis(text, (Span("a", 0, len(text), "Slogans", 0.5),))]),
                                       newline="")))
    assert len(rows) == 2 and rows[1][7] == text


def test_black_text_on_every_techniques_terminal_colour_is_readable():
    from propscope.render.terminal import _ON

    def luminance(colour):
        rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    from rich.color import Color, ColorSystem
    assert len(_ON) == 14
    assert all((luminance(c) + 0.05) / 0.05 >= 4.5 for c in _ON.values())      # WCAG AA against black
    for c in _ON.values():                              # and as a terminal of 256 colours shows it
        shown = Color.parse(c).downgrade(ColorSystem.EIGHT_BIT).get_truecolor()
        assert (luminance("#%02x%02x%02x" % tuple(shown)) + 0.05) / 0.05 >= 4.5, c
