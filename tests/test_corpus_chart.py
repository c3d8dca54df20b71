"""The corpus chart: a readable PNG of the statistics, from the library and from ``propscope stats --chart``."""

import io
import json
import sys

import pytest
from click.testing import CliRunner

from propscope.cli import main
from propscope.corpus.chart import png, timeline, title, write
from propscope.corpus.stats import compute
from propscope.corpus.store import Filter, Store
from propscope.errors import ExtraMissing, PropscopeError

from conftest import make_corpus

pytest.importorskip("matplotlib")
from matplotlib.image import imread  # noqa: E402


@pytest.fixture
def corpus(tmp_path):
    return make_corpus(tmp_path / "c.db", model="m")


def stats_of(url, where=Filter(), **options):
    with Store(url) as store:
        return compute(store, where, model="m", **options)


def test_png_is_an_image_of_readable_size(corpus):
    data = png(stats_of(corpus, period="week"))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = imread(io.BytesIO(data)).shape
    assert width >= 800 and height >= 600


def test_title_names_the_model_period_threshold_and_filters(corpus):
    stats = stats_of(corpus, Filter(("Herald", "The Daily Flag"), "2024-12", None, "elites"), period="week",
                     threshold=0.5)
    assert title(stats) == ("propscope corpus: model m; per week; spans of confidence 0.5 or more; outlets Herald, "
                            "The Daily Flag; published 2024-12 to …; text containing \u201celites\u201d")
    assert title(stats_of(corpus, period="all")) == "propscope corpus: model m; all dates"


@pytest.mark.parametrize("period", ["day", "week", "month", "year", "all"])
def test_every_period_draws_with_names_matplotlib_would_misread(tmp_path, period):
    url = make_corpus(tmp_path / "c.db", model="m")
    with Store(url) as store:      # an outlet named like mathtext must be drawn as itself, not parsed
        store.db.execute("UPDATE articles SET outlet = '$\\frac{1}{0' WHERE outlet = 'Herald'")
    assert png(stats_of(url, Filter(search="$x^"), period=period))[:4] == b"\x89PNG"


def test_no_dated_article_still_draws(tmp_path):
    url = make_corpus(tmp_path / "c.db", model="m")
    assert png(stats_of(url, Filter(("Herald",)), period="month"))[:4] == b"\x89PNG"


def test_the_time_axis_keeps_periods_without_articles():
    assert timeline(["2024-W51", "2025-W02"], "week") == ["2024-W51", "2024-W52", "2025-W01", "2025-W02"]
    assert timeline(["2023-11", "2024-02"], "month") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert timeline(["2020", "2022"], "year") == ["2020", "2021", "2022"]
    assert timeline(["2024-02-28", "2024-03-01"], "day") == ["2024-02-28", "2024-02-29", "2024-03-01"]
    assert timeline(["2024-02-30", "2024-03-01"], "day") == ["2024-02-30", "2024-03-01"]      # not a date
    assert timeline(["0001-01-01", "9999-12-31"], "day") == ["0001-01-01", "9999-12-31"]      # too many


def test_without_matplotlib_the_error_says_what_to_install(corpus, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ExtraMissing, match=r"pip install 'propscope\[plot\]'"):
        png(stats_of(corpus))


def test_write_names_a_path_it_cannot_write(corpus, tmp_path):
    with pytest.raises(PropscopeError, match="cannot write"):
        write(stats_of(corpus), tmp_path / "no" / "such" / "folder" / "c.png")


# -- the command line ------------------------------------------------------------------------
def test_stats_chart_writes_a_png_beside_the_figures(corpus, tmp_path):
    out = tmp_path / "chart.png"
    result = CliRunner().invoke(main, ["stats", "--db", corpus, "--model", "m", "--period", "week", "--format", "json",
                                       "--chart", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"chart written to {out}" in result.stderr
    data = json.loads(result.stdout)
    assert {r["period"] for r in data["rows"]} == {"2024-W52", "2025-W01", "2025-W02", "undated"}


def test_stats_chart_errors_are_one_line(corpus, tmp_path, monkeypatch):
    runner = CliRunner()
    bad = runner.invoke(main, ["stats", "--db", corpus, "--model", "m", "--chart", str(tmp_path / "no" / "c.png")])
    assert bad.exit_code == 2 and "cannot write (no folder" in bad.output and "Traceback" not in bad.output
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    missing = runner.invoke(main, ["stats", "--db", corpus, "--model", "m", "--chart", str(tmp_path / "c.png")])
    assert missing.exit_code == 1 and "pip install 'propscope[plot]'" in missing.output
    assert not (tmp_path / "c.png").exists()
    period = runner.invoke(main, ["stats", "--db", corpus, "--model", "m", "--period", "fortnight"])
    assert period.exit_code == 2 and "week" in period.output


def test_a_long_outlet_name_leaves_the_plot_its_width(corpus):
    """An 80-character outlet name once took half the figure for the legend; it is shortened."""
    import dataclasses

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from propscope.corpus import chart
    stats = stats_of(corpus)
    long = "The Very Long Name Of An Outlet That Goes On And On Well Past Any Reasonable Width"
    stats.rows = [dataclasses.replace(r, outlet=long) if r.outlet == stats.rows[0].outlet else r for r in stats.rows]
    drawn = []

    class Kept(Figure):              # the figure _draw makes, kept to look at
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            drawn.append(self)
    chart._draw(stats, Kept, FigureCanvasAgg)
    labels = [t.get_text() for t in drawn[0].axes[0].get_legend().get_texts()]
    assert any(label.endswith("\u2026") and len(label) <= 32 for label in labels)
    assert drawn[0].axes[0].get_position().width > 0.6


def test_shortened_outlet_names_stay_apart():
    from propscope.corpus.chart import _labels
    names = ["The Very Long Name Of An Outlet \u2014 Europe Edition", "The Very Long Name Of An Outlet \u2014 Asia Edition",
             "Short"]
    labels = _labels(names)
    assert len(set(labels.values())) == 3 and labels["Short"] == "Short"
    assert all(len(v) <= 32 for v in labels.values()) and labels[names[0]].endswith("Europe Edition")


def drawn_figure(stats):
    """The figure _draw makes, kept to look at."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from propscope.corpus import chart
    drawn = []

    class Kept(Figure):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            drawn.append(self)
    chart._draw(stats, Kept, FigureCanvasAgg)
    return drawn[0]


def test_a_point_on_few_articles_is_hollow_and_said_to_be(corpus):
    """Each week of the fixture rests on one or two articles: a share of 100% from one article
    must not look as solid as one from hundreds."""
    import dataclasses

    from matplotlib.colors import to_hex

    from propscope.corpus.chart import FEW
    rates, shares = drawn_figure(stats_of(corpus, period="week")).axes
    assert "hollow points rest on fewer than 5 articles" in " ".join(rates.get_title().split())
    for ax in (rates, shares):
        assert any(to_hex(line.get_markerfacecolor()) == "#ffffff" for line in ax.lines)
    stats = stats_of(corpus, period="week")
    stats.rows = [dataclasses.replace(r, articles=r.articles * FEW, articles_using=r.articles_using * FEW)
                  for r in stats.rows]
    rates, shares = drawn_figure(stats).axes
    assert "hollow" not in rates.get_title()
    assert not any(to_hex(line.get_markerfacecolor()) == "#ffffff" for ax in (rates, shares) for line in ax.lines)


def test_outlets_are_drawn_in_greys_and_techniques_in_their_colours(corpus):
    from matplotlib.colors import to_hex, to_rgb

    from propscope.corpus.chart import COLOURS
    rates, shares = drawn_figure(stats_of(corpus, period="week")).axes
    outlets = {to_hex(line.get_color()) for line in rates.lines}
    assert outlets and all(len(set(to_rgb(c))) == 1 for c in outlets)          # r = g = b
    assert all(max(abs(a - b) for a, b in zip(to_rgb(outlet), to_rgb(technique))) > 0.2
               for outlet in outlets for technique in COLOURS.values())          # none like a technique's
    assert {to_hex(line.get_color()) for line in shares.lines} <= set(COLOURS.values())
    assert len({(line.get_marker(), line.get_linestyle()) for line in rates.get_legend().legend_handles}) == \
        len(rates.get_legend().legend_handles)                                    # each outlet its own shape


def test_one_period_is_drawn_as_bars_labelled_with_their_articles(corpus):
    rates, shares = drawn_figure(stats_of(corpus, period="all")).axes
    assert not rates.lines and len(rates.patches) == 3            # the fixture's three outlets
    assert [t.get_text() for t in rates.get_yticklabels()][0] == "Evening <b>Post</b>"
    assert {t.get_text() for t in rates.texts} >= {"20.0 (1 article)", "15.0 (2 articles)"}
    assert "40% (2 of 5 articles)" in {t.get_text() for t in shares.texts}
    assert "all dates" in rates.get_title()


def test_a_chart_that_cannot_be_drawn_loses_neither_the_figures_nor_an_earlier_chart(corpus, tmp_path, monkeypatch):
    """The chart was drawn before the table was printed, and written in place: a failure lost the
    figures, and a full disk left a cut image where a whole one had been."""
    from propscope.corpus import chart
    earlier = tmp_path / "c.png"
    earlier.write_bytes(b"an earlier chart")

    def full(stats):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(chart, "png", lambda stats: b"\x89PNG" + b"x" * 100)
    monkeypatch.setattr(chart.Path, "write_bytes", full)          # the old way of writing it
    result = CliRunner().invoke(main, ["stats", "--db", corpus, "--model", "m", "--chart", str(earlier)])
    assert result.exit_code == 0 and "The Daily Flag" in result.stdout
    assert earlier.read_bytes().startswith(b"\x89PNG")             # written whole, by a rename

    def broken(stats):
        raise PropscopeError("cannot draw")
    monkeypatch.setattr(chart, "png", broken)
    failed = CliRunner().invoke(main, ["stats", "--db", corpus, "--model", "m", "--chart", str(earlier)])
    assert failed.exit_code == 1 and "The Daily Flag" in failed.stdout and "cannot draw" in failed.stderr
