"""The article with each technique's fragments coloured, a legend and the summary (rich)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..spans import Analysis
from ..techniques import BY_NAME


def render(analysis: Analysis) -> Group:
    body = Text(analysis.text)
    # longer spans first, so shorter (nested) ones are painted on top and stay visible
    for span in sorted(analysis.spans, key=lambda s: -(s.end - s.start)):
        body.stylize(f"on {BY_NAME[span.technique].colour}", span.start, span.end)
        body.stylize("bold black", span.start, span.end)
    legend = Table(title=f"{len(analysis.spans)} fragments, {analysis.coverage:.0%} of the text", show_edge=False)
    legend.add_column("technique")
    legend.add_column("fragments", justify="right")
    for name, count in analysis.counts.items():
        legend.add_row(Text(BY_NAME[name].label, style=f"bold black on {BY_NAME[name].colour}"), str(count))
    return Group(body, Text(""), legend)


def print_analysis(analysis: Analysis, console: Console | None = None) -> None:
    console = console or Console()
    if analysis.source:
        console.rule(analysis.source)
    console.print(render(analysis))
