"""One self-contained HTML report: highlighted article text, an explanation per fragment,
filters, a confidence slider and a chart. No external requests; article text stays text.

Everything from an article (text, title, metadata) reaches the page only through Jinja's
autoescaping or its HTML-safe ``tojson``; the page's script writes it with ``textContent``.
A Content-Security-Policy allows only this page's own nonce-tagged style and script.
"""

from __future__ import annotations

import secrets
from collections import Counter
from typing import Sequence

from jinja2 import Environment, PackageLoader, select_autoescape

from markupsafe import Markup

from ..spans import Analysis, hundredths, segments, threshold_text, two_places
from ..techniques import CATALOGUE, index
from . import card as model_card

FRAGMENT_PREVIEW = 400      # characters of a fragment shown in its tooltip


def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("propscope", "render/templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(two_places=two_places, hundredths=hundredths, threshold_text=threshold_text)
    return environment


def report(analyses: Sequence[Analysis], threshold: float = 0.0, reliability: dict | None = None,
           sensitive: bool | None = None, card: str | None = None) -> str:
    """The report; ``reliability`` (technique -> reliability.Reliability) adds how far the model
    can be trusted for each technique, and ``card`` (the model card's Markdown) a section about
    the model, its markup escaped."""
    reliability = reliability or {}
    spans, docs, fragments = [], [], []
    for d, analysis in enumerate(analyses):
        first = len(spans)
        for s in analysis.spans:
            fragment = analysis.fragment(s)
            fragments.append(fragment)
            spans.append({"d": d, "t": index(s.technique), "c": round(s.confidence, 4), "s": s.start, "e": s.end,
                          "f": fragment[:FRAGMENT_PREVIEW], "cut": len(fragment) > FRAGMENT_PREVIEW})
        pieces = []
        for start, end, covering in segments(analysis.spans, len(analysis.text)):
            ids = [first + i for i in covering]
            shortest = min(ids, key=lambda i: spans[i]["e"] - spans[i]["s"]) if ids else None
            # the spans that end here: their techniques' numbers follow the piece (not colour alone)
            ends = [i for i in ids if spans[i]["e"] == end]
            pieces.append({"text": analysis.text[start:end], "ids": ids, "ends": ends,
                           "numbers": ",".join(dict.fromkeys(str(spans[i]["t"] + 1) for i in ends)),
                           "t": spans[shortest]["t"] if ids else None})
        meta = analysis.meta
        docs.append({"title": meta.get("title") or analysis.article_id or analysis.source or f"Article {d + 1}",
                     "byline": [v for v in (meta.get("site"), meta.get("author"), meta.get("published")) if v],
                     "source": analysis.source, "url": meta.get("url"), "language": meta.get("language"),
                     "pieces": pieces, "spans": list(range(first, len(spans))),
                     "coverage": analysis.coverage, "model": analysis.model})
    counts = Counter(s["t"] for s in spans)
    techniques = [{"i": i, "name": t.name, "label": t.label, "definition": t.definition, "example": t.example,
                   "colour": t.colour, "count": counts.get(i, 0),
                   "reliability": reliability[t.name].summary if t.name in reliability else ""}
                  for i, t in enumerate(CATALOGUE)]
    kept = next((a.techniques for a in analyses if a.techniques is not None), None)
    threshold = max([threshold, *(a.threshold for a in analyses)])
    left_out = [t.label for t in CATALOGUE if kept is not None and t.name not in kept]
    top = max(counts.values(), default=0)
    chart = [t for t in sorted(techniques, key=lambda t: -t["count"]) if t["count"]]
    return _environment().get_template("report.html.j2").render(
        docs=docs, spans=spans, fragments=fragments, techniques=techniques, chart=chart, top=top, threshold=threshold,
        left_out=left_out,
        sensitive=sensitive, card=Markup(model_card.to_html(card)) if card else None,
        nonce=secrets.token_urlsafe(16),
        data={"threshold": threshold, "spans": spans, "techniques": [{k: t[k] for k in ("label", "definition", "example", "colour",
                                                                "reliability")}
                                             for t in techniques]})
