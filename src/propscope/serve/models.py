"""The API's request and response bodies, as the OpenAPI document shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..corpus.store import DATE, Filter
from ..text.read import without_surrogates


META_KEYS = Literal["title", "author", "published", "site", "url", "language"]


class AnalyzeRequest(BaseModel):
    """Exactly one of ``text``, ``html`` or ``url``."""

    # the rule in the OpenAPI document too: one of the three is a string, the others absent or null
    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": [
        {"required": [k], "properties": {k: {"type": "string"}}} for k in ("text", "html", "url")]})

    text: str | None = Field(None, description="The article as plain text; offsets in the answer count its "
                                               "code points.")
    html: str | None = Field(None, description="A web page: its main text is extracted and analysed.")
    url: str | None = Field(None, description="An http(s) address to fetch; loopback, private and link-local "
                                              "addresses are refused unless the server allows them.")
    threshold: float = Field(0.0, ge=0.0, le=1.0, description="Leave out fragments below this confidence.")
    techniques: list[str] | None = Field(None, max_length=14,
                                         description="Keep only these techniques (PTC names, labels or "
                                                     "SemEval-2023 names; GET /v1/techniques lists them).")
    sensitive: bool = Field(False, description="Mark more of the text, at lower confidence (neighbouring "
                                               "fragments join, so one may change technique): for exploring an article, not for scoring.")
    any_language: bool = Field(False, description="Analyse text that is confidently not English too.")
    blind_names: bool | None = Field(None, description="Read each run of names as a placeholder word (the same name as "
                                                       "the same word), so that "
                                                       "swapping one name for another changes little of what is "
                                                       "flagged (see the model card). Default: the server's setting. A model "
                                                       "trained on blinded text reads names blinded whatever is "
                                                       "asked.")
    # what an earlier answer said of a text it fetched: the page sends them back with that text, so
    # that a download holds what was shown without fetching the page again (it may have changed)
    # no length limits beyond the body's: they come back as the server made them, a long address's too
    id: str | None = Field(None, description="With text only: the article's id in the answer.")
    source: str | None = Field(None, description="With text only: where the text came from "
                                                 "(an earlier answer's source).")
    meta: dict[META_KEYS, str] | None = Field(None, description="With text only: the article's metadata (title, "
                                              "author, published, site, url, language), as an earlier answer gave it; "
                                              "answered as given (the text's language is still guessed, and "
                                              "refused as ever, before it).")

    @model_validator(mode="after")
    def _one_source(self) -> AnalyzeRequest:
        given = [k for k in ("text", "html", "url") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, html or url")
        if self.text is None and (self.id, self.source, self.meta) != (None, None, None):
            raise ValueError("id, source and meta describe a text: give them with text only")
        described = [self.id, self.source, *(self.meta or {}).keys(), *(self.meta or {}).values()]
        if any(without_surrogates(v) != v for v in described if v is not None):
            raise ValueError("id, source and meta must be valid Unicode (a lone surrogate cannot be written)")
        return self


class SpanOut(BaseModel):
    start: int
    end: int
    technique: str
    confidence: float
    fragment: str


class Summary(BaseModel):
    spans: int
    counts: dict[str, int]
    coverage: float


class FilterOut(BaseModel):
    threshold: float = Field(description="Spans below this confidence were left out.")
    techniques: list[str] | None = Field(description="The techniques kept; null: every technique.")


class AnalysisOut(BaseModel):
    """The versioned JSON of the library and of ``propscope analyze --format json``."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": True})

    schema_: str = Field(alias="schema", examples=["propscope.analysis/1"])
    id: str
    source: str | None
    model: str
    meta: dict[str, str]
    summary: Summary
    filter: FilterOut
    spans: list[SpanOut]
    text: str


class ReliabilityOut(BaseModel):
    """How far to trust the model for a technique, from its span+technique scores on held-out articles."""

    found: str = Field(examples=["often missed"], description="How many of these fragments it finds (recall).")
    right: str = Field(examples=["sometimes right"], description="How often a fragment it marks is right (precision).")
    summary: str
    precision: float
    recall: float
    f1: float


class TechniqueOut(BaseModel):
    name: str
    label: str
    definition: str
    example: str
    colour: str
    semeval2023: list[str]
    reliability: ReliabilityOut | None = Field(None, description="Absent when the model has no validation figures.")


class TechniquesOut(BaseModel):
    techniques: list[TechniqueOut]
    semeval2023_not_detected: list[str]


class ModelOut(BaseModel):
    version: str
    validation: dict = Field(description="The model's validation figures (its validation.json).")
    card: str | None = Field(description="The model card, as Markdown; GET /model shows it as a page.")


class CorpusOut(BaseModel):
    """The server's corpus (PROPSCOPE_DB), if it has one."""

    present: bool = Field(description="Whether the store exists; when not, GET /v1/stats answers 404.")
    articles: int
    models: dict[str, int] = Field(description="Model version -> articles it has analysed.")
    model: str = Field(description="The server's model: GET /v1/stats counts its analyses unless asked otherwise.")


class StatsRowOut(BaseModel):
    outlet: str
    period: str = Field(examples=["2025-03", "2025-W07", "undated"])
    technique: str
    articles: int = Field(description="Analysed articles of this outlet and period.")
    words: int
    spans: int
    articles_using: int = Field(description="Articles with at least one fragment of this technique.")
    per_1000_words: float
    share_using: float
    change: float | None = Field(description="per_1000_words minus that of the outlet's previous period.")


class FragmentCountOut(BaseModel):
    fragment: str
    count: int


class StatsFiltersOut(BaseModel):
    outlets: list[str]
    since: str | None
    until: str | None
    search: str | None


class StatsOut(BaseModel):
    """The corpus statistics of ``propscope stats --format json``."""

    model: str
    period: str
    threshold: float
    filters: StatsFiltersOut
    rows: list[StatsRowOut]
    fragments: dict[str, list[FragmentCountOut]]


@dataclass(frozen=True)
class StatsQuery:
    """The filters and options of ``propscope stats``, from query parameters."""

    outlets: tuple[str, ...]
    since: str | None
    until: str | None
    search: str | None
    options: dict           # period, model, threshold, top

    def where(self) -> Filter:
        """The articles counted (a library error, 422, for what the patterns let through)."""
        return Filter(self.outlets, self.since, self.until, self.search)


def stats_query(
        outlet: Annotated[list[str], Query(max_length=50, description="Only this outlet (repeat for several).")] = [],
        since: Annotated[str | None, Query(pattern=f"^{DATE}$", description="Published on or after this date: "
                                                                            "YYYY, YYYY-MM or YYYY-MM-DD.")] = None,
        until: Annotated[str | None, Query(pattern=f"^{DATE}$",
                                           description="Published on or before this date.")] = None,
        search: Annotated[str | None, Query(max_length=200, description="Only articles whose text contains this "
                                                                        "(case-insensitive).")] = None,
        model: Annotated[str | None, Query(max_length=200, description="Analyses by this model version (default: "
                                                                       "the server's).")] = None,
        period: Annotated[Literal["day", "week", "month", "year", "all"], Query(
            description="Group by day, ISO week (2025-W07), month, year, or not at all.")] = "month",
        threshold: Annotated[float, Query(ge=0, le=1,
                                          description="Count only spans of this confidence or more.")] = 0.0,
        top: Annotated[int, Query(ge=0, le=50, description="Most frequent fragments per technique.")] = 5,
) -> StatsQuery:
    return StatsQuery(tuple(outlet), since, until, search,
                      {"period": period, "model": model, "threshold": threshold, "top": top})


class Health(BaseModel):
    status: str
    version: str
    model: str


class Problem(BaseModel):
    code: str
    message: str
    limit: dict | None = None


class ErrorOut(BaseModel):
    error: Problem
