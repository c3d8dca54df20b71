import pytest

from propscope.errors import PropscopeError
from propscope.evaluation import evaluate

pytestmark = pytest.mark.model

TEXT = ("Traitors Everywhere\n\n"
        "The corrupt elites have betrayed every patriot in this great nation.\n"
        "Only a fool would trust these shameless liars again.\n")


@pytest.fixture
def split(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "train-labels-task-flc-tc").mkdir()
    (tmp_path / "articles" / "article5.txt").write_text(TEXT, encoding="utf-8")
    start = TEXT.index("corrupt elites")
    liars = TEXT.index("shameless liars")
    (tmp_path / "train-labels-task-flc-tc" / "article5.task-flc-tc.labels").write_text(
        f"5\tName_Calling,Labeling\t{start}\t{start + 14}\n5\tName_Calling,Labeling\t{liars}\t{liars + 15}\n")
    return tmp_path


def test_report_has_every_measure_in_range(split):
    report = evaluate(split)
    assert report.articles == 1
    for value in (report.si.f1, report.tc.f1, report.span_technique.f1, report.ece):
        assert 0.0 <= value <= 1.0
    assert report.tc.n_gold == 2 and report.tc.n_pred == 2
    table = report.table()
    assert "SI F1" in table and "TC micro-F1" in table and "Name_Calling,Labeling" in table


def test_no_span_detected_leaves_calibration_unmeasured(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "train-labels-task-flc-tc").mkdir()
    (tmp_path / "articles" / "article1.txt").write_text("The meeting was held on Tuesday at noon in the town hall.\n")
    (tmp_path / "train-labels-task-flc-tc" / "a.labels").write_text("1\tDoubt\t0\t11\n")
    report = evaluate(tmp_path)
    assert report.ece is None and report.to_dict()["ece"] is None
    assert "expected calibration error n/a (no spans detected)" in report.table() and "1 article\n" in report.table()


def test_held_out_only_refuses_a_split_without_them(split):
    with pytest.raises(PropscopeError, match=r"held (none )?out"):   # the bundled model holds none out
        evaluate(split, held_out_only=True)


def test_report_json_and_reliability_bins_agree(split):
    report = evaluate(split)
    obj = report.to_dict()
    assert obj["articles"] == 1 and set(obj) >= {"si", "tc", "span_technique", "ece", "reliability"}
    assert sum(b["spans"] for b in obj["reliability"]) == sum(report.spans_per_technique.values())
    for b in obj["reliability"]:
        assert b["low"] <= b["mean_confidence"] <= b["high"] and 0 <= b["share_right"] <= 1


def test_cli_writes_a_reliability_diagram(split, tmp_path):
    import subprocess
    import sys
    png = tmp_path / "reliability.png"
    r = subprocess.run([sys.executable, "-m", "propscope", "evaluate", "--data", str(split), "--plot", str(png),
                        "--format", "json"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert "ece_per_technique" in r.stdout


def test_cli_refuses_a_folder_that_is_no_labelled_split(tmp_path):
    import subprocess
    import sys
    (tmp_path / "article1.txt").write_text(TEXT, encoding="utf-8")   # articles, but not laid out as a split
    r = subprocess.run([sys.executable, "-m", "propscope", "evaluate", "--data", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [f"propscope: {tmp_path}: no articles/article*.txt files; a labelled "
                                             "split is laid out like PTC's train/: articles/ and a "
                                             "*-labels-task-flc-tc/ folder"]
