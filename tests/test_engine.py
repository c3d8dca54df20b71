import pytest

import propscope
from propscope.spans import Span
from propscope.techniques import NAMES

pytestmark = pytest.mark.model

TEXT = ("The corrupt elites have betrayed every patriot in this great nation.\n"
        "These traitors will destroy everything unless we stop them now!\n")


def test_analyze_returns_analysis_owning_text():
    a = propscope.analyze(TEXT, article_id="1", source="x.txt")
    assert a.text == TEXT and a.source == "x.txt" and a.model
    assert all(s.article_id == "1" for s in a.spans)
    assert sum(a.counts.values()) == len(a.spans)
    assert 0 <= a.coverage <= 1


@pytest.mark.parametrize("text", ["", "  \n\t "])
def test_empty_text_has_no_spans(text):
    assert propscope.analyze(text).spans == ()


def test_threshold_and_technique_filters():
    a = propscope.analyze(TEXT)
    high = propscope.analyze(TEXT, threshold=0.5)
    assert set(high.spans) <= set(a.spans) and all(s.confidence >= 0.5 for s in high.spans)
    only = propscope.analyze(TEXT, techniques=["Loaded_Language"])
    assert all(s.technique == "Loaded_Language" for s in only.spans)


def test_classify_keeps_order_and_ranks_repeats():
    given = [Span("1", 4, 18, "?"), Span("1", 38, 45, "?"), Span("1", 4, 18, "?"), Span("1", 4, 18, "?")]
    out = propscope.classify(TEXT, given)
    assert [(s.start, s.end) for s in out] == [(s.start, s.end) for s in given]
    assert all(s.technique in NAMES for s in out)
    assert len({out[0].technique, out[2].technique, out[3].technique}) == 3


def test_sensitive_finds_at_least_as_much_text_at_lower_thresholds():
    from propscope.engine import detector
    from propscope.spans import merge_intervals
    chosen = detector().config["sensitive"]
    assert chosen["threshold"] <= detector().threshold and chosen["low_threshold"] <= detector().low_threshold
    normal = propscope.analyze(TEXT * 3)
    more = propscope.analyze(TEXT * 3, sensitive=True)
    covered = lambda a: sum(e - s for s, e in merge_intervals((x.start, x.end) for x in a.spans))
    assert covered(more) >= covered(normal) and len(more.spans) >= 1
    assert all(0 <= s.confidence <= 1 for s in more.spans)


def test_text_that_is_not_valid_unicode_is_an_input_error_not_a_crash():
    with pytest.raises(propscope.errors.InputError, match=r"lone surrogate, U\+DC00, at character 12"):
        propscope.analyze("The traitors\udc00 betrayed us again.")


@pytest.mark.parametrize("threshold", [1.5, -0.1, float("nan"), "0.5", True])
def test_a_threshold_that_is_not_a_confidence_is_refused(threshold):
    with pytest.raises(propscope.errors.InputError, match="give a confidence from 0 to 1"):
        propscope.analyze("The traitors betrayed us again.", threshold=threshold)


def test_techniques_are_named_as_the_cli_names_them_and_unknown_ones_refused():
    text = "The corrupt elites in the capital have once again stabbed every hard-working patriot in the back."
    every = propscope.analyze(text)
    assert every.spans, "the filters below would be vacuous"
    first = every.spans[0].technique
    label = propscope.techniques.BY_NAME[first].label
    for given in ([first], [label], first):           # a name, a label, or one name alone
        assert propscope.analyze(text, techniques=given).spans == tuple(s for s in every.spans if s.technique == first)
    with pytest.raises(propscope.errors.InputError, match="unknown technique 'Bogus'"):
        propscope.analyze(text, techniques=["Bogus"])


def test_classify_refuses_a_span_past_the_end_of_the_text():
    with pytest.raises(propscope.errors.InputError, match="span 60-500 ends past the text's 31 characters"):
        propscope.classify("The traitors betrayed us again.", [Span("a", 60, 500, "?")])


@pytest.fixture(scope="module")
def model_copy(tmp_path_factory):
    """The fast model in a folder of its own: a model the settings can name that no other test loaded."""
    import shutil
    from propscope.model.detector import BUNDLED
    return shutil.copytree(BUNDLED["fast"], tmp_path_factory.mktemp("model") / "fast")


def test_a_changed_model_setting_is_followed_and_a_missing_folder_named(model_copy, monkeypatch):
    bundled = propscope.engine.detector()
    monkeypatch.setenv("PROPSCOPE_MODEL_DIR", str(model_copy))
    chosen = propscope.engine.detector()
    assert chosen is not bundled and chosen.folder == model_copy
    assert propscope.engine.detector() is chosen                 # loaded once
    monkeypatch.setenv("PROPSCOPE_MODEL_DIR", str(model_copy / "missing"))
    with pytest.raises(propscope.PropscopeError, match="PROPSCOPE_MODEL_DIR=.*missing'?: no such folder"):
        propscope.analyze(TEXT)


def test_threads_asking_at_once_load_the_model_once(model_copy, monkeypatch):
    import threading
    from propscope import engine
    loads = []
    real = engine.load

    def counted(*args, **kwargs):
        loads.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "load", counted)
    monkeypatch.setenv("PROPSCOPE_MODEL_DIR", str(model_copy))
    monkeypatch.setenv("PROPSCOPE_THREADS", "1")                # a model not loaded yet
    got = []
    threads = [threading.Thread(target=lambda: got.append(engine.detector())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len({id(d) for d in got}) == 1


def test_loading_and_reading_leave_the_callers_numpy_threads_as_they_were(model_copy):
    from threadpoolctl import threadpool_info, threadpool_limits
    from propscope.model.detector import load
    with threadpool_limits(limits=2, user_api="blas"):
        before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        det = load(model_copy)
        assert det.detect(TEXT) and det.rank(TEXT, [(4, 18)]).shape == (1, len(NAMES))
        assert [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"] == before


def test_classify_reads_spans_from_any_iterable():
    given = [Span("1", 4, 18, "?"), Span("1", 38, 45, "?")]
    assert propscope.classify(TEXT, iter(given)) == propscope.classify(TEXT, given)


@pytest.mark.parametrize("call, message", [
    (lambda: propscope.analyze(None), "text must be a str, not NoneType"),
    (lambda: propscope.analyze(__import__("pathlib").Path("a.txt")), "not PosixPath; read the file first"),
    (lambda: propscope.analyze(b"The traitors"), "not bytes; decode it first"),
    (lambda: propscope.classify(TEXT, [(4, 18)]), "spans must be Span objects, not tuple"),
    (lambda: propscope.analyze(TEXT, meta="title"), "meta must be a dict, not str"),
    (lambda: propscope.analyze(TEXT, techniques=b"Slogans"), "techniques must be names"),
])
def test_arguments_of_the_wrong_type_are_named(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_blind_names_must_be_a_switch():
    with pytest.raises(propscope.errors.InputError, match="blind_names 'no': give True, False or None"):
        propscope.analyze(TEXT, blind_names="no")


@pytest.mark.parametrize("name", ["sensitive", "any_language"])
def test_switches_must_be_true_or_false(name):
    """A string from a form or a file ("false", "no") was read as True: French text analysed."""
    with pytest.raises(propscope.InputError, match=f"{name} 'false': give True or False"):
        propscope.analyze(TEXT, **{name: "false"})


def test_meta_is_kept_as_json_holds_it():
    import datetime
    assert propscope.analyze(TEXT, meta={"published": datetime.date(2025, 3, 5)}).meta["published"] == "2025-03-05"
    for bad in (object(), {1, 2}, float("nan")):
        with pytest.raises(propscope.InputError, match=r"meta\['site'\] = .*: JSON cannot hold it"):
            propscope.analyze(TEXT, meta={"site": bad})
    with pytest.raises(TypeError, match="article_id must be a str, not int"):
        propscope.analyze(TEXT, article_id=5)


def test_any_real_number_is_a_threshold():
    import numpy as np
    from fractions import Fraction
    assert propscope.analyze(TEXT, threshold=np.float32(0.5)) == propscope.analyze(TEXT, threshold=0.5)
    assert propscope.analyze(TEXT, threshold=Fraction(1, 2)) == propscope.analyze(TEXT, threshold=0.5)


def test_the_library_refuses_a_text_over_the_length_limit(monkeypatch):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "20")
    with pytest.raises(propscope.errors.InputError, match="over the limit of 20 characters"):
        propscope.analyze(TEXT)


def test_threads_reading_at_once_leave_numpy_its_threads():
    """Two readers overlapping, the first out before the second: the second must not restore the
    first's limit of one thread as the caller's."""
    from threadpoolctl import threadpool_info, threadpool_limits
    from propscope.model.detector import one_blas_thread

    def blas():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas()
        first, second = one_blas_thread(), one_blas_thread()
        first.__enter__()
        second.__enter__()
        assert set(blas()) == {1}
        first.__exit__(None, None, None)
        assert set(blas()) == {1}                    # the second is still reading
        second.__exit__(None, None, None)
        assert blas() == before


def test_the_library_refuses_text_that_is_confidently_not_english_unless_told():
    french = ("Les élites corrompues ont encore trahi chaque patriote de cette grande nation. "
              "Ces traîtres détruiront tout si nous ne les arrêtons pas maintenant !")
    with pytest.raises(propscope.PropscopeError, match="looks like French.*any_language=True"):
        propscope.analyze(french)
    assert propscope.analyze(french, any_language=True).meta["language"] == "fr"
    assert propscope.analyze(french, meta={"language": "fr"}).meta["language"] == "fr"   # the caller has judged it
    assert propscope.analyze(TEXT).meta["language"] == "en"
