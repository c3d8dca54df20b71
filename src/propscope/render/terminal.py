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
    found = Table(show_edge=False)
    found.add_column("where", justify="right")
    found.add_column("fragment")
    found.add_column("technique")
    found.add_column("confidence", justify="right")
    for span in analysis.spans:
        tech = BY_NAME[span.technique]
        found.add_row(f"{span.start}-{span.end}", _clip(analysis.fragment(span)),
                      Text(tech.label, style=f"bold black on {tech.colour}"), f"{span.confidence:.2f}")
    return Group(body, Text(""), found, Text(""), legend)


def _clip(fragment: str, width: int = 70) -> str:
    one_line = " ".join(fragment.split())
    return one_line if len(one_line) <= width else one_line[:width - 1] + "…"


def print_analysis(analysis: Analysis, console: Console | None = None) -> None:
    console = console or Console()
    if analysis.source:
        console.rule(analysis.source)
    console.print(render(analysis))
