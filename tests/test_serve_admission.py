"""Admission to the model's queue: places, the model's pace, Retry-After, refusals before a
deadline would pass."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("fastapi")

from propscope.serve.admission import MARGIN, WINDOW, Admission  # noqa: E402
from propscope.serve.problems import ApiError  # noqa: E402


def refusal(excinfo) -> tuple[int, str, str]:
    exc = excinfo.value
    return exc.status_code, exc.limit[0], exc.headers["Retry-After"]


def test_one_analysed_and_queue_waiting_then_the_next_is_refused():
    gate, later = Admission(queue=1, timeout=60), time.monotonic() + 60
    with gate.enter(500, later), gate.enter(500, later):
        with pytest.raises(ApiError) as refused:
            with gate.enter(500, later):
                pass
        assert refusal(refused) == (429, "PROPSCOPE_SERVE_QUEUE", "1")     # no pace yet: a second
    assert (gate.at_model, gate.work) == (0, 0)
    with gate.enter(500, later):                                         # the places are free again
        assert gate.work == WINDOW                                       # a short text costs a window


def test_retry_after_is_the_work_held_at_the_models_recent_pace():
    gate = Admission(queue=0, timeout=60)
    gate.observe(1000, 1.0)
    gate.observe(1000, 2.0)
    assert gate.pace == pytest.approx(0.8 * 0.001 + 0.2 * 0.002)
    with gate.enter(4500, time.monotonic() + 60):
        assert gate.retry_after() == 6                                   # 4500 characters at 1.2 ms: 5.4 s
        with pytest.raises(ApiError) as refused:
            with gate.enter(100, time.monotonic() + 60):
                pass
    assert refusal(refused) == (429, "PROPSCOPE_SERVE_QUEUE", "6")


def test_a_request_that_would_wait_past_its_deadline_is_refused_now():
    gate = Admission(queue=64, timeout=10)
    gate.observe(1000, 1.0)                                              # 1 ms a character
    with gate.enter(1000, time.monotonic() + 10):
        need = MARGIN * (1000 + 5000) * 0.001                            # 9 s, with the margin
        with pytest.raises(ApiError) as refused:
            with gate.enter(5000, time.monotonic() + need - 0.5):
                pass
        assert refusal(refused) == (429, "PROPSCOPE_SERVE_TIMEOUT", "1")
        with gate.enter(5000, time.monotonic() + need + 0.5):
            assert gate.at_model == 2


def test_an_idle_model_takes_any_request_whatever_its_length():
    gate = Admission(queue=0, timeout=1)
    gate.observe(1000, 1.0)
    with gate.enter(1_000_000, time.monotonic() + 1):                   # 1000 s of work: tried anyway
        assert gate.at_model == 1
