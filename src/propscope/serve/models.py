"""The API's request and response bodies, as the OpenAPI document shows them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class AnalyzeRequest(BaseModel):
    """Exactly one of ``text``, ``html`` or ``url``."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="The article as plain text; offsets in the answer count its "
                                               "code points.")
    html: str | None = Field(None, description="A web page: its main text is extracted and analysed.")
    url: str | None = Field(None, description="An http(s) address to fetch; loopback, private and link-local "
                                              "addresses are refused unless the server allows them.")
    threshold: float = Field(0.0, ge=0.0, le=1.0, description="Leave out fragments below this confidence.")
    techniques: list[str] | None = Field(None, max_length=14,
                                         description="Keep only these techniques (PTC names, labels or "
                                                     "SemEval-2023 names; GET /v1/techniques lists them).")
    sensitive: bool = Field(False, description="Find more fragments, at lower confidence: for exploring an "
                                               "article, not for scoring.")
    any_language: bool = Field(False, description="Analyse text that is confidently not English too.")

    @model_validator(mode="after")
    def _one_source(self) -> AnalyzeRequest:
        given = [k for k in ("text", "html", "url") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, html or url")
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


class AnalysisOut(BaseModel):
    """The versioned JSON of the library and of ``propscope analyze --format json``."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": True})

    schema_: str = Field(alias="schema", examples=["propscope.analysis/1"])
    id: str
    source: str | None
    model: str
    meta: dict[str, str]
    summary: Summary
    spans: list[SpanOut]
    text: str


class TechniqueOut(BaseModel):
    name: str
    label: str
    definition: str
    example: str
    colour: str
    semeval2023: list[str]


class TechniquesOut(BaseModel):
    techniques: list[TechniqueOut]
    semeval2023_not_detected: list[str]


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
