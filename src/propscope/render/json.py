"""The versioned JSON form of an Analysis: the same object the library returns."""

from __future__ import annotations

import json

from ..spans import Analysis

SCHEMA = "propscope.analysis/1"


def to_dict(analysis: Analysis) -> dict:
    return {
        "schema": SCHEMA,
        "id": analysis.article_id,
        "source": analysis.source,
        "model": analysis.model,
        "meta": analysis.meta,
        "summary": {"spans": len(analysis.spans), "counts": analysis.counts,
                    "coverage": round(analysis.coverage, 4)},
        "filter": {"threshold": analysis.threshold,
                   "techniques": None if analysis.techniques is None else list(analysis.techniques)},
        "spans": [{"start": s.start, "end": s.end, "technique": s.technique,
                   "confidence": s.confidence, "fragment": analysis.fragment(s)} for s in analysis.spans],
        "text": analysis.text,
    }


def dumps(analysis: Analysis, indent: int | None = 2) -> str:
    return json.dumps(to_dict(analysis), ensure_ascii=False, indent=indent)
