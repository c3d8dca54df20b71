"""Training end to end on a tiny labelled split written here: train, export, tune, card, infer."""

import json
import os
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the train extra")
pytest.importorskip("transformers", reason="needs the train extra")

from conftest import write_split  # noqa: E402
from propscope.model.detector import Detector  # noqa: E402
from propscope.model.names import DISTINCT, PLACEHOLDER  # noqa: E402
from propscope.train.config import TrainConfig  # noqa: E402
from propscope.train.data import fold_of, load_split  # noqa: E402
from propscope.train.export import SEVEN_BIT  # noqa: E402
from propscope.train.run import main  # noqa: E402

SENTENCES = [
    ("The corrupt elites betrayed us all.", "corrupt elites", "Name_Calling,Labeling"),
    ("This is the worst disaster in history.", "worst disaster in history", "Exaggeration,Minimisation"),
    ("Our brave patriots will never surrender.", "brave patriots", "Flag-Waving"),
    ("The council met on Tuesday.", None, None),
]


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    return write_split(tmp_path_factory.mktemp("data") / "ptc", [str(1000 + i) for i in range(12)], SENTENCES, "Headline", 6)


def integer_weights(path) -> tuple[set[str], int]:
    """The element types of the weights the exported graph multiplies as integers, and their largest |w|."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(str(path), load_external_data=False)
    inits = {t.name: t for t in model.graph.initializer}
    weights = [inits[n.input[1]] for n in model.graph.node if n.op_type in ("MatMulInteger", "QAttention")]
    largest = max(int(np.abs(numpy_helper.to_array(w).astype(np.int16)).max()) for w in weights)
    return {onnx.TensorProto.DataType.Name(w.data_type) for w in weights}, largest


@pytest.fixture(scope="module")
def trained(split, tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    cfg = TrainConfig(epochs=1, batch_size=4, window=30, stride=20, inference_stride=25, folds=3, fold=0,
                      threads=1, token_features=True, refit=True)
    main(split, out, cfg, command="propscope train --data X --out Y", log=lambda m: None)
    return out


def test_train_export_tune_and_infer(split, trained):
    assert {fold_of(a.article_id, 3) for a in load_split(split)} == {0, 1, 2}
    out = trained
    for name in ("encoder.onnx", "span_head.npz", "tokenizer.json", "config.json", "MODEL_CARD.md",
                 "training.json", "validation.json"):
        assert (out / name).exists(), name
    config = json.loads((out / "config.json").read_text())
    assert 0 < config["threshold"] < 1 and config["calibration"]["coef"]
    assert config["windows"] == "article"
    sens = config["sensitive"]       # --sensitive: nowhere stricter than the default setting
    assert sens["threshold"] <= config["threshold"] and sens["low_threshold"] <= config["low_threshold"]
    assert sens["gap"] >= config["gap"]
    det = Detector(out)
    text = (split / "articles" / "article1000.txt").read_text(encoding="utf-8")
    probs = det.rank(text, [(10, 20)])
    assert probs.shape == (1, 14) and abs(float(probs.sum()) - 1) < 1e-4
    for s in det.detect(text):
        assert 0 <= s.start < s.end <= len(text) and 0 <= s.confidence <= 1
    assert "Reproduce" in (out / "MODEL_CARD.md").read_text()
    # 7-bit signed weights: exact products on CPUs without VNNI too
    assert integer_weights(out / "encoder.onnx") == ({"INT8"}, SEVEN_BIT)
    # the recipe's model reads the hand-made token cues as a third encoder input
    assert det.cues and "token_cues" in {i.name for i in det.session.get_inputs()}


def test_refit_trains_on_every_article_with_the_twins_settings(split, trained):
    twin, out = trained / "twin", trained
    info, twin_info = (json.loads((d / "training.json").read_text()) for d in (out, twin))
    assert info["held_out_ids"] == [] and info["train_articles"] == 12
    assert twin_info["held_out_ids"] and twin_info["train_articles"] + len(twin_info["held_out_ids"]) == 12
    assert info["twin"]["held_out_ids"] == twin_info["held_out_ids"]
    # told apart by version, in a corpus store too
    assert info["version"] == twin_info["version"] + "+refit"
    config, twin_config = (json.loads((d / "config.json").read_text()) for d in (out, twin))
    for key in ("threshold", "low_threshold", "gap", "second_threshold", "calibration", "sensitive"):
        assert config[key] == twin_config[key]
    validation = json.loads((out / "validation.json").read_text())
    assert validation["measured_on"] == "twin"
    assert validation["cross_fitted"] == json.loads((twin / "validation.json").read_text())["cross_fitted"]
    card = (out / "MODEL_CARD.md").read_text()
    assert "on all 12 PTC train articles" in card and "twin" in card
    # the two are different models: the refit saw the held-out articles too
    text = (split / "articles" / "article1000.txt").read_text(encoding="utf-8")
    assert not np.array_equal(Detector(out).encode(text)[1], Detector(twin).encode(text)[1])
    # held-out evaluation of the refit model has nothing to score, and says why
    from propscope.errors import PropscopeError
    from propscope.evaluation import evaluate
    with pytest.raises(PropscopeError, match="every article"):
        evaluate(split, Detector(out), held_out_only=True)


def test_a_refit_keeps_a_twin_trained_without_refit(split, trained, tmp_path):
    out = tmp_path / "refit"
    shutil.copytree(trained / "twin", out / "twin")       # as if trained with --no-refit
    info = json.loads((out / "twin" / "training.json").read_text())
    info["config"]["refit"] = False
    (out / "twin" / "training.json").write_text(json.dumps(info))
    cfg = TrainConfig(**{**info["config"], "refit": True})
    said = []
    main(split, out, cfg, command="propscope train --data X --out Y", log=said.append)
    assert any("already holds this recipe" in line for line in said)
    assert json.loads((out / "training.json").read_text())["train_articles"] == 12
    # another recipe's twin is not kept
    said = []
    main(split, out, TrainConfig(**{**info["config"], "refit": True, "lr_heads": 0.002}),
         command="propscope train --data X --out Y", log=said.append)
    assert not any("already holds this recipe" in line for line in said)


def test_the_same_command_again_tunes_a_trained_model_without_training_it_again(split, trained, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(trained / "twin", out)       # as if trained with --no-refit, stopped while tuning
    info = json.loads((out / "training.json").read_text())
    info["config"]["refit"] = False
    config = TrainConfig(**info["config"])
    del info["config"]["distinct_names"]         # trained before that setting existed: at its default
    (out / "training.json").write_text(json.dumps(info))
    (out / "validation.json").unlink()
    weights = (out / "encoder.onnx").stat().st_mtime_ns
    said = []
    main(split, out, config, command="propscope train --data X --out Y", log=said.append)
    assert any("tuned again, not trained again" in line for line in said)
    assert (out / "encoder.onnx").stat().st_mtime_ns == weights
    assert json.loads((out / "validation.json").read_text())["cross_fitted"] == \
        json.loads((trained / "twin" / "validation.json").read_text())["cross_fitted"]


def test_an_interrupted_training_goes_on_from_its_last_epoch_to_the_same_weights(split, tmp_path, monkeypatch):
    from propscope.train import loop
    from propscope.train.run import train_and_export
    cfg = TrainConfig(epochs=2, batch_size=4, window=30, stride=20, inference_stride=25, folds=3, fold=0,
                      threads=1, refit=False)
    whole = tmp_path / "whole"
    train_and_export(split, whole, cfg, log=lambda m: None)

    save = loop._save

    def save_then_stop(*args, **kwargs):
        save(*args, **kwargs)
        raise KeyboardInterrupt

    parts = tmp_path / "parts"
    monkeypatch.setattr(loop, "_save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        train_and_export(split, parts, cfg, log=lambda m: None)
    assert (parts / "checkpoint.pt").exists() and not (parts / "state.pt").exists()
    monkeypatch.setattr(loop, "_save", save)
    with pytest.raises(SystemExit, match="differs in lr_encoder"):
        train_and_export(split, parts, TrainConfig(**{**cfg.__dict__, "lr_encoder": 1e-4}), log=lambda m: None)
    other = tmp_path / "other"                 # the same recipe on other data
    shutil.copytree(split, other)
    next((other / "train-labels-task-flc-tc").iterdir()).write_text("")
    with pytest.raises(SystemExit, match=r"differs in training windows\)"):
        train_and_export(other, parts, cfg, log=lambda m: None)
    said = []
    train_and_export(split, parts, cfg, log=said.append)
    assert any("1 of 2 epochs done" in line for line in said)
    assert not (parts / "checkpoint.pt").exists()
    a, b = (torch.load(d / "state.pt") for d in (whole, parts))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_training_stopped_while_exporting_goes_on_after_its_last_epoch(split, trained, tmp_path, monkeypatch):
    from propscope.errors import ModelError
    from propscope.model.detector import load
    from propscope.train import run
    cfg = TrainConfig(epochs=1, batch_size=4, window=30, stride=20, inference_stride=25, folds=3, fold=0,
                      threads=1, refit=False, seed=7)
    out = tmp_path / "again"
    shutil.copytree(trained, out)                       # a folder holding another model, its figures too
    (out / "neutrality.json").write_text('{"copies": 589}')
    export = run.export

    def stop(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(run, "export", stop)
    with pytest.raises(KeyboardInterrupt):
        run.train_and_export(split, out, cfg, log=lambda m: None)
    # nothing of the other model passes for this one: not loadable, no card, no figures
    assert not any((out / name).exists() for name in run.STALE)
    assert (out / "checkpoint.pt").exists()
    monkeypatch.setattr(run, "export", export)
    said = []
    run.train_and_export(split, out, cfg, log=said.append)
    assert any("1 of 1 epochs done" in line for line in said)     # not trained again
    assert not (out / "checkpoint.pt").exists()
    with pytest.raises(ModelError, match="trained but not tuned"):
        load(out)                                        # exported, not yet tuned


def test_train_window_sets_how_the_model_is_trained_and_read(split, tmp_path):
    from click.testing import CliRunner
    from propscope.cli import main as cli
    from propscope.train.config import RECIPE
    out = tmp_path / "model"
    result = CliRunner().invoke(cli, ["train", "--data", str(split), "--out", str(out), "--window", "40",
                                      "--epochs", "1", "--fold", "0", "--no-refit", "--counterfactual", "0",
                                      "--batch-size", "4", "--threads", "1"])
    assert result.exit_code == 0, result.output
    trained = json.loads((out / "train_config.json").read_text())
    assert (trained["window"], trained["stride"], trained["inference_stride"]) == (40, 30, 35)
    # the rest is the bundled fast model's recipe
    assert {k: trained[k] for k in RECIPE} == RECIPE
    det = Detector(out)
    assert (det.window, det.stride) == (40, 35)
    refused = CliRunner().invoke(cli, ["train", "--data", str(split), "--out", str(tmp_path / "x"), "--window", "511"])
    assert refused.exit_code == 2 and "511" in refused.output and not (tmp_path / "x").exists()
    refused = CliRunner().invoke(cli, ["train", "--data", str(split), "--out", str(tmp_path / "x"), "--distinct-names"])
    assert refused.exit_code == 2 and "--blind-names" in refused.output and not (tmp_path / "x").exists()


def test_a_model_without_token_cues_trained_in_bf16_exports_and_detects(split, tmp_path):
    from propscope.train.run import train_and_export
    cfg = TrainConfig(epochs=1, batch_size=4, window=30, stride=20, inference_stride=25, folds=3, fold=0,
                      threads=1, token_features=False, counterfactual=0, precision="bf16")
    train_and_export(split, tmp_path, cfg, log=lambda m: None)
    det = Detector(tmp_path)
    assert not det.cues and {i.name for i in det.session.get_inputs()} == {"input_ids", "attention_mask"}
    text = (split / "articles" / "article1001.txt").read_text(encoding="utf-8")
    tokens, probs, _ = det.encode(text)
    assert probs.shape == (len(tokens.ids), 3) and np.allclose(probs.sum(1), 1, atol=1e-4)


def test_a_tagger_trained_with_a_crf_layer_ships_its_transitions_and_reads_their_marginals(split, tmp_path):
    cfg = TrainConfig(epochs=1, batch_size=4, window=30, stride=20, inference_stride=25, folds=3, fold=0,
                      threads=1, counterfactual=0, crf=True, refit=False)
    main(split, tmp_path, cfg, command="propscope train --data X --out Y --crf", log=lambda m: None)
    assert "CRF layer" in (tmp_path / "MODEL_CARD.md").read_text()
    head = np.load(tmp_path / "span_head.npz")
    assert head["crf_pairs"].shape == (3, 3) and head["crf_start"].shape == head["crf_end"].shape == (3,)
    det = Detector(tmp_path)
    assert det.crf is not None
    text = (split / "articles" / "article1001.txt").read_text(encoding="utf-8")
    tokens, probs, _ = det.encode(text)
    assert probs.shape == (len(tokens.ids), 3) and np.allclose(probs.sum(1), 1, atol=1e-4)
    # a sentence in one window: its tag probabilities are the CRF's marginals of the window's logits
    from propscope.model.windows import Window
    sentence = SENTENCES[0][0]
    tokens, probs, _ = det.encode(sentence)
    n = len(tokens.ids)
    _, logits = det.session.run(None, det.feed(tokens.ids, None, Window(0, n, 0, n)))
    assert np.allclose(probs, det.crf.marginals(logits[0, 1:n + 1]), atol=1e-6)
    assert not np.allclose(probs, np.exp(logits[0, 1:n + 1]) / np.exp(logits[0, 1:n + 1]).sum(1, keepdims=True),
                           atol=1e-3)


@pytest.mark.parametrize("lever", [{"frozen_layers": 4}, {"lora_rank": 4}, {"ship_rank": 4},
                                   {"frozen_embeddings": True, "layers": 3}])
def test_a_model_with_frozen_weights_ships_only_what_training_changed(lever, split, tmp_path, monkeypatch):
    import onnxruntime as ort
    from safetensors.numpy import load_file

    from propscope.errors import ModelError
    from propscope.model import frozen, pretrained
    from propscope.train.model import layers_of
    from propscope.train.run import train_and_export
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "model"
    cfg = TrainConfig(epochs=1, batch_size=4, window=30, stride=20, inference_stride=25, folds=3, fold=0,
                      threads=1, counterfactual=0, **lever)
    train_and_export(split, out, cfg, log=lambda m: None)
    spec = json.loads((out / frozen.MANIFEST).read_text())
    keys = {e["key"] for e in spec["tensors"]}
    assert any(k.endswith("embeddings.word_embeddings.weight") for k in keys)
    top = any(f"layer.{i}." in k for k in keys for i in (4, 5))
    assert top == ("lora_rank" in lever or "ship_rank" in lever)   # low rank keeps each layer's weights
    # the frozen weights are the pretrained ones, and the shipped graph is smaller for it
    base_dir, _ = pretrained.encoder_dir(cfg.base)
    weights = load_file(base_dir / "model.safetensors")
    state = torch.load(out / ("state.low_rank.pt" if "ship_rank" in lever else "state.pt"))
    assert layers_of(state) == lever.get("layers", 6)
    if "layers" in lever:                     # the bottom layers, trained: none of them is frozen
        assert not any("encoder.layer." in k for k in keys)
    word = next(k for k in keys if k.endswith("embeddings.word_embeddings.weight"))
    assert np.array_equal(state["encoder.embeddings.word_embeddings.weight"].numpy(), weights[word])
    assert (out / "encoder.onnx").stat().st_size < 0.5 * (out / "encoder.fp32.onnx").stat().st_size
    assert integer_weights(out / "encoder.onnx") == ({"INT8"}, SEVEN_BIT)
    # read with the exported frozen.bin beside it, and assembled from the package without it
    ids = np.array([[101, 2023, 2003, 1996, 5409, 7071, 1999, 2381, 1012, 102]])
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    direct = ort.InferenceSession(str(out / "encoder.onnx")).run(None, feeds)
    (out / "frozen.bin").rename(tmp_path / "exported.bin")
    det = Detector(out)
    assembled = frozen.encoder_path(out)
    assert assembled.parent.parent == tmp_path / "cache" / "propscope" / "assembled"
    assert (assembled.parent / "frozen.bin").read_bytes() == (tmp_path / "exported.bin").read_bytes()
    for a, b in zip(direct, det.session.run(None, feeds)):
        assert np.array_equal(a, b)
    text = (split / "articles" / "article1001.txt").read_text(encoding="utf-8")
    assert det.encode(text)[1].shape[1] == 3
    # another model on the same base gets its own folder, sharing the frozen file, and neither
    # is assembled again when they alternate
    import onnx
    other = tmp_path / "other"
    shutil.copytree(out, other)
    graph = onnx.load(str(other / "encoder.onnx"), load_external_data=False)
    graph.doc_string = "another model"
    onnx.save(graph, str(other / "encoder.onnx"))
    second = frozen.encoder_path(other)
    assert second.parent != assembled.parent
    assert os.path.samefile(second.parent / "frozen.bin", assembled.parent / "frozen.bin")
    with monkeypatch.context() as m:
        m.setattr(frozen, "assemble", lambda *a: pytest.fail("assembled again"))
        assert frozen.encoder_path(out) == assembled and frozen.encoder_path(other) == second
    # a manifest that names the wrong tensors is refused, not read
    spec["tensors"][0]["key"], spec["tensors"][1]["key"] = spec["tensors"][1]["key"], spec["tensors"][0]["key"]
    spec["tensors"][0]["transpose"], spec["tensors"][1]["transpose"] = spec["tensors"][1]["transpose"], spec["tensors"][0]["transpose"]
    (out / frozen.MANIFEST).write_text(json.dumps(spec))
    shutil.rmtree(assembled.parent)
    shutil.rmtree(second.parent)
    with pytest.raises(ModelError, match="SHA-256"):
        Detector(out)


def swap_invariant(det, text: str) -> None:
    assert "Tuesday" in text
    other = text.replace("Tuesday", "Saint Petersburg")
    assert [(s.technique, s.confidence) for s in det.detect(text)] == \
        [(s.technique, s.confidence) for s in det.detect(other)]
    tokens, probs, _ = det.encode(text)
    tokens2, probs2, _ = det.encode(other)
    assert np.array_equal(tokens.ids, tokens2.ids) and np.array_equal(probs, probs2)
    # offsets point into each text: the placeholder's token covers the whole name
    first = text.index("Tuesday")
    assert [first, first + len("Tuesday")] in tokens.offsets.tolist()
    assert [first, first + len("Saint Petersburg")] in tokens2.offsets.tolist()


@pytest.mark.parametrize("distinct", [False, True])
def test_a_model_trained_blind_reads_one_name_as_another(split, tmp_path, distinct):
    cfg = TrainConfig(epochs=1, batch_size=4, window=30, stride=20, inference_stride=25, folds=3, fold=0,
                      threads=1, blind_names=True, distinct_names=distinct, refit=False)
    main(split, tmp_path, cfg, command="propscope train --data X --out Y --blind-names", log=lambda m: None)
    det = Detector(tmp_path, blind_names=False)      # trained so: always blind
    assert det.trained_blind and det.common is not None and "council" in det.common and "tuesday" not in det.common
    assert not det.version.endswith("+blind-names") and "blind" not in det.config
    assert det.placeholders == (DISTINCT if distinct else (PLACEHOLDER,))     # names read as in its training
    swap_invariant(det, (split / "articles" / "article1003.txt").read_text(encoding="utf-8"))
    card = (tmp_path / "MODEL_CARD.md").read_text()
    assert "Blind to names" in card and ("in order of first appearance" in card) == distinct


def test_any_model_reads_names_blinded_by_default_with_its_own_settings(split, trained, monkeypatch):
    text = (split / "articles" / "article1003.txt").read_text(encoding="utf-8")
    plain = Detector(trained, blind_names=False)
    assert plain.common is None and not plain.trained_blind
    tokens, probs, _ = plain.encode(text)
    tokens2, probs2, _ = plain.encode(text.replace("Tuesday", "Saint Petersburg"))
    assert len(tokens2.ids) > len(tokens.ids)      # reading names as they are
    config = json.loads((trained / "config.json").read_text())
    assert set(config["blind"]) >= {"threshold", "low_threshold", "gap", "second_threshold", "calibration"}
    blind = Detector(trained, blind_names=True)
    assert blind.version == plain.version + "+blind-names"
    assert blind.threshold == config["blind"]["threshold"] and blind.gap == config["blind"]["gap"]
    # a model trained on names as written reads distinct names as distinct placeholders, as tuned
    assert config["blind"]["placeholders"] == list(DISTINCT) and blind.placeholders == DISTINCT
    assert blind.validation()["cross_fitted"] == json.loads((trained / "validation.json").read_text())["blind"]["cross_fitted"]
    swap_invariant(blind, text)
    assert Detector(trained).common == blind.common       # the default reading
    monkeypatch.setenv("PROPSCOPE_BLIND_NAMES", "0")
    assert Detector(trained).common is None
    # the twin tuned the blinded reading too, and the refit model took those settings
    assert config["blind"] == json.loads((trained / "twin" / "config.json").read_text())["blind"]


def test_pseudo_labels_keep_fragments_and_drop_unsure_techniques(split, trained):
    from propscope.train.pseudo import pseudo_label
    det = Detector(trained)
    articles = pseudo_label(split / "articles", trained, min_confidence=0.5)
    assert len(articles) == 12 and all(a.article_id.startswith("pseudo-") for a in articles)
    for art in articles:
        found = {(s.start, s.end) for s in det.detect(art.text)}
        assert {(s.start, s.end) for s in art.spans} == found
        assert len({(s.start, s.end) for s in art.spans}) == len(art.spans), "one technique per fragment"
        assert all(s.technique == "" or s.confidence >= 0.5 for s in art.spans)


def test_low_rank_state_keeps_the_update_whole_at_full_rank_and_its_largest_part_below():
    from propscope.model.pretrained import encoder_dir
    from propscope.train.model import SpanModel, low_rank_state
    torch.manual_seed(0)
    base_dir, _ = encoder_dir("all-MiniLM-L6-v2")
    tuned = SpanModel(str(base_dir)).eval()
    with torch.no_grad():
        for name, p in tuned.encoder.encoder.named_parameters():
            if name.endswith("dense.weight") or name.endswith(("query.weight", "key.weight", "value.weight")):
                p.add_(0.02 * torch.randn(p.shape[0], 2) @ torch.randn(2, p.shape[1]))     # a rank-2 update
    ids = torch.tensor([[101, 2023, 2003, 1996, 5409, 7071, 102]])
    mask = torch.ones_like(ids)
    want = tuned.encode(ids, mask)[1]
    for rank, close in ((2, True), (1, False)):
        model = SpanModel(str(base_dir), lora_rank=rank).eval()
        model.load_state_dict(low_rank_state(tuned.state_dict(), str(base_dir), rank))
        with torch.no_grad():
            got = model.encode(ids, mask)[1]
        assert torch.allclose(got, want, atol=1e-4) == close


def test_more_layers_than_the_encoder_has_are_refused():
    from propscope.errors import InputError
    from propscope.model.pretrained import encoder_dir
    from propscope.train.model import SpanModel
    base_dir, _ = encoder_dir("all-MiniLM-L6-v2")
    assert len(SpanModel(str(base_dir), layers=6).encoder.encoder.layer) == 6
    with pytest.raises(InputError, match="--layers 9: the encoder has 6 layers"):
        SpanModel(str(base_dir), layers=9)
