"""The command-line contract, through the real entry point, on fixture files written here."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ARTICLE_HTML
from propscope.model.detector import BUNDLED
from propscope.techniques import NAMES

pytestmark = pytest.mark.model

ARTICLE = ("Our Glorious Nation Betrayed\n\n"
           "The corrupt elites in the capital have once again stabbed every hard-working patriot in the back.\n"
           "These traitors will destroy everything our grandparents built unless we stop them now.\n"
           "Make our nation great, strong and proud again!\n"
           "Experts agree that the new tax is the worst disaster in the history of the world.\n")


FRENCH = "Le gouvernement a annoncé hier une nouvelle réforme des retraites, vivement contestée par les syndicats."


def run(*args, stdin=None, env=None):
    return subprocess.run([sys.executable, "-m", "propscope", *args], capture_output=True, text=True,
                          input=stdin, timeout=300, env=None if env is None else {**os.environ, **env})


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "arts"
    d.mkdir()
    (d / "article101.txt").write_text(ARTICLE, encoding="utf-8")
    (d / "article102.txt").write_text("\ufeff" + ARTICLE.replace("capital", "city"), encoding="utf-8")
    return d


def parse(tsv: str):
    return [line.split("\t") for line in tsv.splitlines() if line]


def test_detect_writes_semeval_lines_inside_the_articles(folder, tmp_path):
    out = tmp_path / "det.tsv"
    r = run("detect", "--format", "semeval", str(folder), "-o", str(out))
    assert r.returncode == 0, r.stderr
    rows = parse(out.read_text(encoding="utf-8"))
    assert rows, "no spans on a text full of loaded language"
    texts = {p.name[7:-4]: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    for aid, tech, start, end in rows:
        assert aid in texts and tech in NAMES
        assert 0 <= int(start) < int(end) <= len(texts[aid])
    assert {r[0] for r in rows} == {"101", "102"}


def test_detect_to_stdout_matches_file(folder, tmp_path):
    out = tmp_path / "det.tsv"
    run("detect", str(folder / "article101.txt"), "-o", str(out))
    r = run("detect", str(folder / "article101.txt"))
    assert r.stdout == out.read_text(encoding="utf-8")


def test_classify_keeps_lines_and_order_and_ranks_duplicates(folder, tmp_path):
    tmpl = tmp_path / "tmpl.tsv"
    lines = ["101\t?\t4\t12", "101\t?\t30\t50", "102\t?\t1\t28", "101\t?\t30\t50"]
    tmpl.write_text("\n".join(lines) + "\n")
    out = tmp_path / "tc.tsv"
    r = run("classify", "--format", "semeval", "--spans", str(tmpl), str(folder), "-o", str(out))
    assert r.returncode == 0, r.stderr
    rows = parse(out.read_text())
    assert [(a, s, e) for a, _, s, e in rows] == [tuple(l.split("\t")[i] for i in (0, 2, 3)) for l in lines]
    assert all(t in NAMES for _, t, _, _ in rows)
    assert rows[1][1] != rows[3][1], "the same fragment listed twice gets two different techniques"


def test_a_terminal_view_written_to_a_file_is_plain_text_whatever_force_color_says(folder, tmp_path):
    out = tmp_path / "view.txt"
    r = run("analyze", "--format", "terminal", "-o", str(out), str(folder / "article101.txt"), env={"FORCE_COLOR": "1"})
    assert r.returncode == 0 and "traitors" in out.read_text() and "\x1b" not in out.read_text(), r.stderr


def test_detects_output_feeds_classify_for_a_file_named_with_a_space(tmp_path):
    arts = tmp_path / "sp"
    arts.mkdir()
    (arts / "article 7.txt").write_text(ARTICLE, encoding="utf-8")
    spans = tmp_path / "sp.tsv"
    assert run("detect", str(arts), "-o", str(spans)).returncode == 0
    assert {line.split("\t")[0] for line in spans.read_text().splitlines()} == {"7"}
    r = run("classify", "--spans", str(spans), str(arts))
    assert r.returncode == 0 and len(parse(r.stdout)) == len(parse(spans.read_text())), r.stderr


def test_classify_rejects_spans_outside_the_article(folder, tmp_path):
    tmpl = tmp_path / "tmpl.tsv"
    tmpl.write_text("101\t?\t4\t99999\n")
    r = run("classify", "--spans", str(tmpl), str(folder))
    assert r.returncode != 0 and "Traceback" not in r.stderr and "past its" in r.stderr
    r = run("classify", "--spans", str(tmp_path), str(folder))         # a folder, not a template
    assert r.returncode == 2 and r.stderr == f"propscope: {tmp_path}: not a regular file\n"


@pytest.mark.parametrize("content, message", [
    (bytes(range(256)) * 4, "binary"),
    (b"caf\xe9 \xff\xfe broken", "UTF-8"),
])
def test_bad_input_is_one_clear_line(tmp_path, content, message):
    f = tmp_path / "article1.txt"
    f.write_bytes(content)
    r = run("detect", str(f))
    assert r.returncode != 0
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2


def test_missing_file(tmp_path):
    r = run("detect", str(tmp_path / "nope" / "article9.txt"))
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("content", ["", "   \n\n "])
def test_empty_text_is_fine(tmp_path, content):
    f = tmp_path / "article3.txt"
    f.write_text(content)
    r = run("detect", str(f))
    assert r.returncode == 0 and r.stdout == "" and "Traceback" not in r.stderr


def test_huge_article_is_refused_with_the_limit(tmp_path):
    f = tmp_path / "article5.txt"
    f.write_text(("word " * 1_048_576))   # 5 MiB
    r = run("detect", str(f))
    assert r.returncode == 2 and "limit" in r.stderr and "2,000,000" in r.stderr


def test_batch_goes_on_past_a_bad_article(folder, tmp_path):
    (folder / "article103.txt").write_bytes(b"\xff\xfe\x00\x01" * 100)
    out = tmp_path / "det.tsv"
    r = run("detect", str(folder), "-o", str(out))
    assert r.returncode == 1
    assert "article103.txt" in r.stderr and "1 of 3 articles failed" in r.stderr
    assert {row[0] for row in parse(out.read_text())} == {"101", "102"}


@pytest.mark.parametrize("command", [("detect",), ("analyze", "--format", "json"), ("analyze", "--format", "html")])
def test_a_run_that_fails_before_writing_anything_leaves_the_output_file_alone(command, tmp_path):
    out = tmp_path / "kept.txt"
    out.write_text("last week's results\n")
    (tmp_path / "article7.txt").write_bytes(b"caf\xe9\n")
    for bad in (tmp_path / "article7.txt", tmp_path / "missing.txt"):
        r = run(*command, "-o", str(out), str(bad))
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert out.read_text() == "last week's results\n"
    r = run(*command, "-o", str(out), str(tmp_path / "article7.txt"), str(tmp_path / "missing.txt"))
    assert r.returncode != 0 and out.read_text() == "last week's results\n"     # nothing to write: every one failed


@pytest.mark.parametrize("command", [("detect", "--format", "semeval"), ("analyze", "--format", "json")])
def test_an_output_that_cannot_be_written_is_refused_before_any_work(command, folder, tmp_path):
    out = tmp_path / "no-such-folder" / "out.tsv"
    r = run(*command, str(folder), "-o", str(out))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr == f"propscope: {out}: cannot write (no folder {out.parent})\n"
    assert not out.parent.exists()


def test_analyze_json_names_source_and_spans(folder):
    src = folder / "article101.txt"
    r = run("analyze", "--format", "json", str(src))
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["source"] == str(src) and obj["text"] == ARTICLE
    assert obj["schema"].startswith("propscope.analysis/")
    assert obj["spans"]
    for s in obj["spans"]:
        assert 0 <= s["start"] < s["end"] <= len(ARTICLE) and 0 <= s["confidence"] <= 1
        assert s["fragment"] == ARTICLE[s["start"]:s["end"]] and s["technique"] in NAMES
    assert obj["summary"]["spans"] == len(obj["spans"])


SIDES = ("The Russian government and its corrupt puppets in Moscow have once again stabbed every "
         "hard-working patriot in the back, Vladimir Putin's critics said.\n"
         "These traitors will destroy everything unless we stop them now.\n")


def test_blind_names_reads_one_side_as_the_other(tmp_path):
    def swap(text):
        return text.replace("Russian", "Chinese").replace("Moscow", "Beijing").replace("Vladimir Putin", "Xi")

    a, b = tmp_path / "russia.txt", tmp_path / "china.txt"
    a.write_text(SIDES, encoding="utf-8")
    b.write_text(swap(SIDES), encoding="utf-8")

    def analysed(path, *flags):
        r = run("analyze", "--format", "json", *flags, str(path))
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    blind_a, blind_b = analysed(a), analysed(b)       # the default reading
    assert blind_a["model"].endswith("+blind-names") and blind_a["spans"]
    assert analysed(a, "--blind-names") == blind_a
    assert [(s["technique"], s["confidence"]) for s in blind_a["spans"]] == \
        [(s["technique"], s["confidence"]) for s in blind_b["spans"]]
    for sa, sb in zip(blind_a["spans"], blind_b["spans"]):   # the same words, at each text's own offsets
        assert swap(SIDES[sa["start"]:sa["end"]]) == swap(SIDES)[sb["start"]:sb["end"]]
    plain = analysed(a, "--no-blind-names")
    assert plain["model"] == blind_a["model"].removesuffix("+blind-names") != blind_a["model"]
    r = run("detect", "--blind-names", "--format", "semeval", "--help")
    assert r.returncode == 0 and "--blind-names" in r.stdout


@pytest.mark.parametrize("damaged, size", [("encoder.onnx", 100_000), ("span_head.npz", 1000)])
def test_a_damaged_model_file_is_one_line_and_exit_3(tmp_path, folder, damaged, size):
    model = tmp_path / "damaged"
    shutil.copytree(BUNDLED["fast"], model)
    with open(model / damaged, "r+b") as f:
        f.truncate(size)                    # a download cut short
    r = run("detect", str(folder), env={"PROPSCOPE_MODEL_DIR": str(model), "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert r.returncode == 3 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"propscope: model folder {model} is incomplete or damaged") and r.stderr.count("\n") == 1
    assert "run the propscope train (or combine) command that made it again" in r.stderr     # not a reinstall


def test_an_explicit_model_wins_over_the_model_folder_setting(tmp_path):
    r = run("model", "--model", "large", env={"PROPSCOPE_MODEL_DIR": str(BUNDLED["fast"])})
    assert r.returncode == 0 and r.stdout != run("model", "--model", "fast").stdout
    assert run("model", env={"PROPSCOPE_MODEL_DIR": str(BUNDLED["large"])}).stdout == r.stdout


def test_a_bad_setting_read_before_the_command_is_one_line_too(folder):
    r = run("detect", str(folder), env={"PROPSCOPE_BLIND_NAMES": "maybe"})
    assert r.returncode == 1 and r.stderr == "propscope: PROPSCOPE_BLIND_NAMES='maybe' should be 1 or 0\n"


def test_a_model_trained_blind_says_it_reads_names_blinded_when_asked_not_to(tmp_path):
    model = tmp_path / "blind"
    shutil.copytree(BUNDLED["fast"], model)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "blind_names": True}))
    article = tmp_path / "russia.txt"
    article.write_text(SIDES, encoding="utf-8")
    env = {"PROPSCOPE_MODEL_DIR": str(model)}
    asked = run("analyze", "--format", "json", "--no-blind-names", str(article), env=env)
    assert asked.returncode == 0, asked.stderr
    assert "trained with names blinded" in asked.stderr and str(model) in asked.stderr
    default = run("analyze", "--format", "json", str(article), env=env)
    assert default.returncode == 0 and default.stderr == ""
    assert json.loads(asked.stdout)["spans"] == json.loads(default.stdout)["spans"]
    shipped = run("analyze", "--format", "json", "--no-blind-names", str(article))   # trained as written: no note
    assert shipped.returncode == 0 and "trained with names blinded" not in shipped.stderr


def test_audit_neutrality_of_the_blinded_reading_is_exact(tmp_path):
    d = tmp_path / "named"
    d.mkdir()
    (d / "article7.txt").write_text(SIDES + "Washington lied, and the United States will pay for its arrogance, "
                                    "Donald Trump's enemies shouted.\n", encoding="utf-8")
    r = run("audit", "neutrality", "--data", str(d), "--format", "json")     # the default reading
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["copies"] >= 3
    agreement = report["agreement"]
    assert agreement["span_technique"]["f1"] == 1.0 and agreement["unchanged_copies"] == report["copies"]
    assert "read as written" not in r.stderr


def test_analyze_jsonl_folder_one_object_per_article(folder):
    r = run("analyze", "--format", "jsonl", str(folder))
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert sorted(Path(o["source"]).name for o in objs) == ["article101.txt", "article102.txt"]
    for o in objs:
        assert o["text"] == Path(o["source"]).read_text(encoding="utf-8")


def test_analyze_stdin_and_threshold():
    r = run("analyze", "--format", "json", "--threshold", "0.99", "-", stdin=ARTICLE)
    assert r.returncode == 0, r.stderr
    assert all(s["confidence"] >= 0.99 for s in json.loads(r.stdout)["spans"])


def test_analyze_terminal_shows_text_and_legend(folder):
    r = run("analyze", "--format", "terminal", str(folder / "article101.txt"))
    assert r.returncode == 0 and "Glorious" in r.stdout and "fragments" in r.stdout


def test_analyze_html_file_keeps_metadata_and_offsets_into_extracted_text(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(ARTICLE_HTML, encoding="utf-8")
    r = run("analyze", "--format", "json", str(page))
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["meta"]["author"] == "Jane Roe" and obj["meta"]["language"] == "en"
    assert "<p>" not in obj["text"] and "stabbed every hard-working patriot" in obj["text"]
    assert all(s["fragment"] == obj["text"][s["start"]:s["end"]] for s in obj["spans"])


def test_analyze_csv_semeval_and_technique_filter(folder):
    src = str(folder / "article101.txt")
    rows = list(csv.reader(io.StringIO(run("analyze", "--format", "csv", src).stdout)))
    assert rows[0] == ["id", "source", "start", "end", "technique", "label", "confidence", "fragment"]
    assert all(r[7] == ARTICLE[int(r[2]):int(r[3])] for r in rows[1:]) and len(rows) > 1
    lines = parse(run("analyze", "--format", "semeval", src).stdout)
    assert sorted((r[1], int(r[2]), int(r[3])) for r in lines) == sorted((r[4], int(r[2]), int(r[3])) for r in rows[1:])
    only = rows[1][4]
    kept = parse(run("analyze", "--format", "semeval", "--techniques", only, src).stdout)
    assert kept and {r[1] for r in kept} == {only}
    r = run("analyze", "--techniques", "Nonsense", src)
    assert r.returncode == 2 and "unknown technique 'Nonsense'" in r.stderr


def test_analyze_html_report_is_one_file(folder, tmp_path):
    out = tmp_path / "report.html"
    r = run("analyze", "--format", "html", "-o", str(out), str(folder))
    assert r.returncode == 0, r.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count('<article class="doc"') == 2


def test_analyze_jsonl_batch_goes_on_and_lists_failures(tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join([json.dumps({"id": "ok1", "text": ARTICLE}), "{oops",
                                 json.dumps({"id": "fr", "text": FRENCH}),
                                 json.dumps({"id": "ok2", "html": ARTICLE_HTML, "source": "Daily Flag"})]) + "\n")
    out = tmp_path / "out.jsonl"
    r = run("analyze", "--format", "jsonl", "-o", str(out), str(batch))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "batch.jsonl:2: not valid JSON" in r.stderr and "looks like French" in r.stderr
    assert "2 of 4 inputs failed" in r.stderr
    objs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [o["id"] for o in objs] == ["ok1", "ok2"] and objs[1]["source"] == "Daily Flag"
    r = run("analyze", "--format", "jsonl", "--any-language", str(batch))
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == ["ok1", "fr", "ok2"]


def test_analyze_url_from_a_local_server(site):
    site.pages["/story.html"] = (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE_HTML.encode())
    r = run("analyze", "--format", "json", site.url + "/story.html")
    assert r.returncode == 2 and "refused" in r.stderr and "--allow-private" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and site.requests == []
    r = run("analyze", "--format", "json", "--allow-private", site.url + "/story.html")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["id"] == "story" and obj["meta"]["url"] == site.url + "/story.html"
    r = run("analyze", "--allow-private", site.url + "/gone")
    assert r.returncode == 2 and "answered 404" in r.stderr


@pytest.mark.parametrize("content, message", [
    ("<html><body><nav>Home</nav></body></html>", "no article text"),
    ("\x00\x01binary", "binary"),
])
def test_analyze_bad_input_is_one_clear_line(tmp_path, content, message):
    f = tmp_path / ("page.html" if content.startswith("<") else "blob.txt")
    f.write_text(content)
    r = run("analyze", str(f))
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_console_script_and_subcommands():
    exe = Path(sys.executable).parent / "propscope"
    if not exe.exists():
        pytest.skip("console script not installed (run make test)")
    r = subprocess.run([str(exe), "techniques"], capture_output=True, text=True)
    assert r.returncode == 0 and all(n in r.stdout for n in NAMES)
    assert "False_Dilemma-No_Choice" in r.stdout and "does not detect: Appeal_to_Hypocrisy" in r.stdout
    r = subprocess.run([str(exe), "techniques", "--format", "json"], capture_output=True, text=True)
    assert len(json.loads(r.stdout)["techniques"]) == 14
    r = subprocess.run([str(exe), "model"], capture_output=True, text=True)
    assert r.returncode == 0 and "Model card" in r.stdout


def test_serve_answers_health_on_loopback_and_stops_cleanly():
    import socket
    import time

    import httpx
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "propscope", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read()
                time.sleep(0.3)
        assert r.status_code == 200
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "propscope" in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("env, said", [
    ({"PROPSCOPE_THREADS": "abc"}, "PROPSCOPE_THREADS='abc' is not a whole number"),
    ({"PROPSCOPE_MAX_CHARS": "0"}, "PROPSCOPE_MAX_CHARS=0 should be at least 1"),
    ({"PROPSCOPE_SERVE_TIMEOUT": "9" * 320}, "should be at most 86,400"),
    ({"PROPSCOPE_SERVE_WORKERS": "0"}, "PROPSCOPE_SERVE_WORKERS=0 should be at least 1"),
    ({"PROPSCOPE_MODEL_DIR": "/nonexistent"}, "PROPSCOPE_MODEL_DIR='/nonexistent': no such folder"),
    ({"PROPSCOPE_SERVE_TOKEN": "   "}, "PROPSCOPE_SERVE_TOKEN is only spaces"),
    ({"PROPSCOPE_SERVE_TOKEN": "\u20acuro"}, "use printable ASCII"),
])
def test_serve_refuses_a_bad_setting_in_one_line_before_it_starts(env, said):
    r = run("serve", "--port", "9", "--workers", "2", env=env)
    assert r.returncode == 1 and said in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_model_combined_reads_with_fast_and_large_and_says_so(folder):
    r = run("analyze", "--model", "combined", "--format", "json", str(folder / "article101.txt"))
    assert r.returncode == 0, r.stderr
    combined = json.loads(r.stdout)
    assert combined["model"].startswith("combined(") and combined["spans"]
    card = run("model", "--model", "combined")
    assert card.returncode == 0 and "- `large`, weight 1" in card.stdout
    assert "propscope model --model fast" in card.stdout
    r = run("detect", "--model", "combined", "--no-blind-names", str(folder / "article101.txt"))
    assert r.returncode == 0 and r.stdout and "names blinded" not in r.stderr    # its first member reads as written


def test_model_large_is_the_larger_model_and_says_so(folder, tmp_path):
    r = run("analyze", "--model", "large", "--format", "json", str(folder / "article101.txt"))
    assert r.returncode == 0, r.stderr
    large = json.loads(r.stdout)
    fast = json.loads(run("analyze", "--format", "json", str(folder / "article101.txt")).stdout)
    assert "all-mpnet-base-v2" in large["model"] and large["model"] != fast["model"] and large["spans"]
    card = run("model", "--model", "large")
    assert card.returncode == 0 and "all-mpnet-base-v2" in card.stdout
    r = run("detect", "--model", "huge", str(folder))
    assert r.returncode != 0 and "'huge'" in r.stderr and "Traceback" not in r.stderr


def test_analyze_terminal_view_into_a_file(folder, tmp_path):
    out = tmp_path / "view.txt"
    out.write_text("keep")
    r = run("analyze", "--format", "terminal", "-o", str(out), str(folder / "article101.txt"))
    assert r.returncode == 0 and r.stdout == ""
    view = out.read_text()
    assert "Glorious Nation" in view and "fragments" in view and "\x1b[" not in view


def test_analyze_json_of_several_inputs_is_a_list_even_when_one_fails(folder, tmp_path):
    r = run("analyze", "--format", "json", str(folder / "article101.txt"), str(tmp_path / "missing.txt"))
    assert r.returncode == 1
    obj = json.loads(r.stdout)
    assert isinstance(obj, list) and len(obj) == 1


def test_a_jsonl_id_that_would_split_a_semeval_line_is_refused(tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"id": "a\tb", "text": ARTICLE}) + "\n" + json.dumps({"id": "ok", "text": ARTICLE}) + "\n")
    r = run("analyze", "--format", "semeval", str(batch))
    assert r.returncode == 1 and "holds a tab, line break or other control character" in r.stderr
    assert r.stdout and all(line.split("\t")[0] == "ok" for line in r.stdout.splitlines())


def test_a_cache_that_cannot_be_written_is_one_line_and_exit_3(tmp_path, folder):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")          # as a read-only or missing home folder would
    r = run("detect", str(folder), env={"XDG_CACHE_HOME": str(blocker / "cache")})
    assert r.returncode == 3 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    assert "cannot write the model's encoder into" in r.stderr and "set XDG_CACHE_HOME to a writable folder" in r.stderr


def test_the_model_card_is_printed_without_loading_the_model(tmp_path):
    model = tmp_path / "card-only"
    shutil.copytree(BUNDLED["fast"], model)
    (model / "encoder.onnx").unlink()            # no model to load: the card is still there to read
    r = run("model", env={"PROPSCOPE_MODEL_DIR": str(model)})
    assert r.returncode == 0 and r.stdout == (model / "MODEL_CARD.md").read_text(encoding="utf-8") + "\n"


def test_onnxruntime_sends_nothing_and_keeps_no_device_id(tmp_path, folder):
    """onnxruntime's builds keep a device id and queue usage events for Microsoft in the cache
    folder unless told not to before it starts: propscope tells it."""
    from propscope.engine import detector
    from propscope.model.pretrained import cache
    detector()                                          # the encoder assembled in the cache, if it was not
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "propscope").symlink_to(cache(), target_is_directory=True)   # the encoder, assembled
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}      # as a user's shell has it
    r = subprocess.run([sys.executable, "-m", "propscope", "detect", str(folder)], capture_output=True, text=True,
                       timeout=300, env={**env, "XDG_CACHE_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path)})
    assert r.returncode == 0 and r.stdout, r.stderr
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["propscope"]
    assert not (tmp_path / ".cache").exists()


@pytest.mark.parametrize("command", [["serve", "--port", "9"], ["batch", "in.jsonl", "-o", "out"]])
def test_more_workers_than_the_machine_can_hold_are_refused_before_any_start(command, tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "1", "text": ARTICLE}) + "\n")
    too_many = 4 * (os.cpu_count() or 1) + 1
    r = subprocess.run([sys.executable, "-m", "propscope", *command, "--workers", str(too_many)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert f"--workers {too_many:,}: at most {too_many - 1} on this machine" in r.stderr
    assert not (tmp_path / "out").exists()
    r = run("serve", "--port", "9", env={"PROPSCOPE_SERVE_WORKERS": str(too_many)})
    assert r.returncode == 1 and f"PROPSCOPE_SERVE_WORKERS={too_many}: at most" in r.stderr


def test_an_output_that_is_an_input_is_refused_and_the_input_kept(folder, tmp_path):
    article = folder / "article101.txt"
    before = article.read_bytes()
    for command in (["analyze", "-o", str(article), str(article)], ["detect", "-o", str(article), str(folder)],
                    ["analyze", "--format", "jsonl", "-o", str(article), str(folder)]):
        r = run(*command)
        assert r.returncode == 2 and "Traceback" not in r.stderr and "give another -o" in r.stderr, command
    assert article.read_bytes() == before
    r = run("detect", "-o", str(folder / "predictions.txt"), str(folder))     # a new file beside the articles
    assert r.returncode == 0 and (folder / "predictions.txt").read_text().startswith("101\t")


def test_a_pipe_as_output_is_written_to_and_stays_a_pipe(folder, tmp_path):
    import stat
    import threading
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    got = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_text()))
    reader.start()
    r = run("detect", "-o", str(pipe), str(folder))
    reader.join(timeout=60)
    assert r.returncode == 0 and got and got[0].startswith("101\t")
    assert stat.S_ISFIFO(pipe.stat().st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_standard_output_is_one_line():
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "propscope", "techniques"], stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=120)
    assert r.returncode == 1 and r.stderr == "propscope: cannot write the output (No space left on device)\n"


@pytest.mark.parametrize("args, said", [
    (["stats", "--threshold", "nan"], "'nan' is not a finite number"),
    (["analyze", "--threshold", "inf", "x.txt"], "is not"),
    (["train", "--data", ".", "--out", "o", "--lr", "nan"], "'nan' is not a finite number"),
    (["stats", "--top", "99999999999999999999"], "is not in the range"),
    (["evaluate", "--data", ".", "--plot", "r.txt"], "the image is a PNG; name it .png"),
    (["stats", "--chart", "c.pdf"], "the image is a PNG; name it .png"),
    (["evaluate", "--data", ".", "--plot", "no/such/r.png"], "cannot write (no folder no/such)"),
    (["stats", "--chart", "no/such/c.png"], "cannot write (no folder no/such)"),
    (["analyze", "-o", "", "x.txt"], "give a file name"),
    (["batch", "in.jsonl", "-o", ""], "give a folder name"),
    (["analyze", "-", "-"], "given twice"),
])
def test_options_out_of_reason_are_refused_before_any_work(args, said, tmp_path):
    r = subprocess.run([sys.executable, "-m", "propscope", *args], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120, input="")
    assert r.returncode == 2 and said in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_empty_article_is_analysed_with_nothing_found(tmp_path):
    """Empty text is fine (an article of a corpus may be): one object with no spans, exit 0."""
    (tmp_path / "empty.txt").write_text(" \n")
    r = run("analyze", "--format", "json", str(tmp_path / "empty.txt"))
    assert r.returncode == 0 and json.loads(r.stdout)["spans"] == []


def test_a_pipe_given_as_a_span_file_or_pair_list_is_refused_not_waited_on(folder, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    r = run("classify", "--spans", str(tmp_path / "pipe"), str(folder))
    assert r.returncode == 2 and "not a regular file" in r.stderr
    r = run("audit", "neutrality", "--data", str(folder), "--pairs", str(tmp_path / "pipe"))
    assert r.returncode == 2 and "not a regular file" in r.stderr


def test_a_model_folder_without_a_card_is_exit_3(tmp_path):
    r = run("model", env={"PROPSCOPE_MODEL_DIR": str(tmp_path)})
    assert r.returncode == 3 and "holds no MODEL_CARD.md" in r.stderr


# -- from a review of every command's bad input -------------------------------------------------
def test_an_interrupted_run_leaves_an_existing_output_as_it_was(tmp_path):
    from propscope.cli import Output
    target = tmp_path / "report.json"
    target.write_text("a complete report\n")
    with pytest.raises(KeyboardInterrupt):
        with Output(str(target)) as out:
            out.write("two articles of eight")
            raise KeyboardInterrupt
    assert target.read_text() == "a complete report\n"
    with pytest.raises(ValueError):                 # another failure still writes what it produced
        with Output(str(target)) as out:
            out.write("what was done")
            raise ValueError
    assert target.read_text() == "what was done"


@pytest.mark.parametrize("command", [["analyze", "--format", "json"], ["analyze", "--format", "terminal"],
                                     ["techniques"]])
def test_standard_output_closed_or_read_only_is_one_line(folder, command):
    for how in ({"preexec_fn": lambda: os.close(1)}, {"stdout": open(os.devnull, "r")}):
        args = [*command, str(folder)] if command[0] == "analyze" else command
        done = subprocess.run([sys.executable, "-m", "propscope", *args],
                              stderr=subprocess.PIPE, text=True, timeout=300, **how)
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith("propscope: ") and len(done.stderr.splitlines()) == 1


def test_classify_refuses_two_files_with_one_article_id(folder, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "article101.txt").write_text("Another text.\n", encoding="utf-8")
    (tmp_path / "spans.tsv").write_text("101\t?\t4\t11\n")
    done = run("classify", "--spans", str(tmp_path / "spans.tsv"), str(folder), str(other))
    assert done.returncode == 2 and "have the same article id '101'" in done.stderr
    same = run("classify", "--spans", str(tmp_path / "spans.tsv"), str(folder), str(folder / "article101.txt"))
    assert same.returncode == 0 and same.stdout.startswith("101\t"), same.stderr    # one file named twice


def test_bad_options_are_refused_before_any_work(folder, tmp_path):
    empty = run("analyze", "--format", "json", "-o", "", str(folder))
    assert empty.returncode == 2 and "give a file name" in empty.stderr
    for given in ("", ",", " , "):
        none = run("analyze", "--format", "json", "--techniques", given, str(folder))
        assert none.returncode == 2 and "--techniques names no technique" in none.stderr, given
    newer = run("analyze", "--format", "json", "--techniques", "Appeal_to_Hypocrisy", str(folder))
    assert newer.returncode == 2 and "SemEval-2023 technique that propscope does not detect" in newer.stderr


def test_the_cli_run_in_process_leaves_ctrl_c_as_it_was(monkeypatch):
    """The command ignores a second Ctrl-C while it exits; a program running it in its own process
    (a notebook, this test) keeps its Ctrl-C."""
    import signal

    import json as json_module
    from click.testing import CliRunner
    from propscope.cli import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(json_module, "dumps", interrupted)
    before = signal.getsignal(signal.SIGINT)
    result = CliRunner().invoke(main, ["techniques", "--format", "json"])
    assert result.exit_code == 130 and "interrupted" in result.output
    assert signal.getsignal(signal.SIGINT) is before


def test_help_with_standard_output_closed_is_no_error():
    done = subprocess.run([sys.executable, "-m", "propscope", "analyze", "--help"], stderr=subprocess.PIPE, text=True,
                          timeout=120, preexec_fn=lambda: os.close(1))
    assert done.returncode == 0 and "Traceback" not in done.stderr


def test_an_output_through_a_link_to_a_file_not_yet_made_is_written(folder, tmp_path):
    (tmp_path / "link.json").symlink_to(tmp_path / "made.json")
    done = run("analyze", "--format", "json", "-o", str(tmp_path / "link.json"), str(folder / "article101.txt"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "made.json").read_text())["id"] == "101"


def test_a_file_whose_name_would_split_a_semeval_line_fails_alone(folder):
    (folder / "article103\tx.txt").write_text(ARTICLE, encoding="utf-8")
    for command in (["detect"], ["analyze", "--format", "semeval"]):
        done = run(*command, str(folder))
        ids = {line.split("\t")[0] for line in done.stdout.splitlines()}
        assert done.returncode == 1 and ids == {"101", "102"}, (command, done.stderr)
        assert "holds a tab, line break or other control character" in done.stderr


def test_an_output_link_that_loops_is_one_line(folder, tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    done = run("analyze", "--format", "json", "-o", str(tmp_path / "loop"), str(folder / "article101.txt"))
    assert done.returncode == 2 and "its link leads round in a loop" in done.stderr and "Traceback" not in done.stderr
