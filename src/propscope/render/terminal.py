"""The article with each technique's fragments coloured, a legend and the summary (rich)."""

from __future__ import annotations

import re
import textwrap

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..spans import Analysis, segments, two_places
from ..techniques import BY_NAME


# control characters other than tab and line feed become spaces, one for one: rich drops some (which
# would move every colour after one) and passes others, ESC among them, to the terminal, where the
# article's text could clear the screen or retitle the window
_INVISIBLE = {c: " " for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}


def _readable(colour: str) -> str:
    """``colour`` lightened toward white just enough that black text on it has a contrast of 4.5:1,
    also as a terminal of 256 colours rounds it
    (WCAG AA): the darker technique colours (fear's red, bandwagon's brown) had 3.6 to 4.4."""
    rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]

    def luminance(c: list[float]) -> float:
        linear = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    for step in range(21):
        mixed = [v + (1 - v) * step / 20 for v in rgb]
        if (luminance(mixed) + 0.05) / 0.05 >= 5.5:   # 4.5 even where a terminal of 256 colours rounds it
            return "#" + "".join(f"{round(v * 255):02x}" for v in mixed)
    return "#ffffff"


_ON = {name: _readable(t.colour) for name, t in BY_NAME.items()}


def shown(text: str) -> str:
    """The text as the terminal shows it, each character where it was: a CR before a LF is a
    space, one alone a line break, other control characters spaces."""
    return re.sub(r"\r(?=\n)", " ", text).replace("\r", "\n").translate(_INVISIBLE)


NARROW = 60     # columns below which the fragments are listed one under another, not in a table


def render(analysis: Analysis, width: int = 100) -> Group:
    body = Text(shown(analysis.text))
    spans = analysis.spans
    # each piece takes the colour of its shortest (innermost) span; overlaps are underlined
    for start, end, covering in segments(spans, len(analysis.text)):
        if covering:
            inner = min(covering, key=lambda i: spans[i].length)
            style = f"bold black on {_ON[spans[inner].technique]}"
            body.stylize(style + (" underline" if len(covering) > 1 else ""), start, end)
    header = [Text(shown(line), style=style) for line, style in _header(analysis)]
    legend = Table(title=f"{len(analysis.spans)} fragments, {analysis.coverage:.0%} of the text",
                   caption="underlined: more than one technique" if _overlaps(analysis) else None,
                   show_edge=False)
    legend.add_column("technique")
    legend.add_column("fragments", justify="right")
    for name, count in analysis.counts.items():
        legend.add_row(Text(BY_NAME[name].label, style=f"bold black on {_ON[name]}"), str(count))
    found = _listed(analysis, width) if width < NARROW else _table(analysis)
    return Group(*header, body, Text(""), found, Text(""), legend)


def _table(analysis: Analysis) -> Table:
    found = Table(show_edge=False)
    found.add_column("where", justify="right", no_wrap=True)
    found.add_column("fragment")
    found.add_column("technique")
    found.add_column("confidence", justify="right", no_wrap=True)
    for span in analysis.spans:
        tech = BY_NAME[span.technique]
        found.add_row(f"{span.start}-{span.end}", Text(_clip(shown(analysis.fragment(span)))),
                      Text(tech.label, style=f"bold black on {_ON[tech.name]}"), two_places(span.confidence))
    return found


def _listed(analysis: Analysis, width: int) -> Group:
    """The fragments for a narrow terminal, where a table's columns would cut offsets short: each
    fragment's offsets, confidence and technique on a line, its text on the next."""
    rows = []
    for span in analysis.spans:
        tech = BY_NAME[span.technique]
        line = Text(f"{span.start}-{span.end}  confidence {two_places(span.confidence)}  ")
        line.append(tech.label, style=f"bold black on {_ON[tech.name]}")
        # indented as it wraps, and no wider than the terminal (a rich Padding filled each line with spaces)
        rows += [line, Text(textwrap.fill(_clip(shown(analysis.fragment(span))), max(width, 12),
                                          initial_indent="  ", subsequent_indent="  "))]
    return Group(*rows)


def _header(analysis: Analysis) -> list[tuple[str, str]]:
    meta = analysis.meta
    lines = []
    if meta.get("title"):
        lines.append((meta["title"], "bold"))
    byline = " · ".join(v for v in (meta.get("site"), meta.get("author"), meta.get("published")) if v)
    if byline:
        lines.append((byline, "dim"))
    if meta.get("language") and meta["language"] != "en":
        lines.append((f"language: {meta['language']} (the model knows English news only)", "yellow"))
    return lines + ([("", "")] if lines else [])


def _overlaps(analysis: Analysis) -> bool:
    return any(len(c) > 1 for _, _, c in segments(analysis.spans, len(analysis.text)))


def _clip(fragment: str, width: int = 70) -> str:
    one_line = " ".join(fragment.split())
    return one_line if len(one_line) <= width else one_line[:width - 1] + "…"


def print_analysis(analysis: Analysis, console: Console | None = None, hint: bool = False) -> None:
    """``hint``: say that --sensitive marks more (for output at the default setting)."""
    console = console or Console()
    if analysis.source:
        console.rule(Text(shown(analysis.source)))
    console.print(render(analysis, console.width))
    console.print("confidence: the share of fragments like it that were right on articles the model had not seen "
                  "(0.2: about 1 in 5); 'propscope techniques' explains each technique.", style="dim")
    if hint:
        console.print("The default setting; --sensitive marks more of the text, at lower confidence (fragments "
                      "may join, change technique or drop out).", style="dim")
