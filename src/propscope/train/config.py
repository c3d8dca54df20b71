"""Hyper-parameters in one dataclass, saved as JSON beside the weights."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class TrainConfig:
    base: str = "all-MiniLM-L6-v2"
    window: int = 254          # content tokens per window ([CLS] and [SEP] make 256)
    stride: int = 192
    inference_stride: int = 224   # less overlap at inference: as accurate on held-out, fewer windows
    windows: str = "article"   # "lines": windows never cross a line, so each line is read on its own
    epochs: int = 6
    batch_size: int = 16
    lr_encoder: float = 5e-5
    lr_heads: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    dropout: float = 0.1
    lora_rank: int = 0         # >0: the encoder stays as pretrained and learns low-rank updates (LoRA) of this rank
    ship_rank: int = 0         # >0: ship the fine-tuned encoder as pretrained weights + a rank-r SVD of each layer's update
    frozen_layers: int = 0     # the embeddings and this many bottom encoder layers keep their pretrained weights
    frozen_embeddings: bool = False   # the embeddings keep their pretrained weights (then they need not ship)
    layers: int = 0            # >0: keep only this many bottom layers of the pretrained encoder (faster, smaller)
    span_hidden: int = 256
    token_features: bool = False  # hand-made cues per token (repetition, capitals, quotes) beside the token ids
    blind_names: bool = False  # read each run of names as one placeholder (model/names.py), so names cannot be cues
    distinct_names: bool = False   # with blind_names: each distinct name its own placeholder word (names.DISTINCT)
    crf: bool = False          # a CRF layer over the O/B/I tags, trained with the tagger (si_weights then unused)
    si_weights: tuple[float, float, float] = (1.0, 2.0, 2.0)   # O, B, I
    class_weight_power: float = 0.25
    span_loss_weight: float = 1.0
    folds: int = 5
    fold: int = 0              # held out for validation; -1 trains on everything
    refit: bool = True         # after tuning on the held-out fold, train again on every article and ship that
    seed: int = 29
    threads: int = 2
    precision: str = "fp32"    # "bf16": autocast matrix work to bfloat16 (1.6x faster on CPUs with AVX512-BF16)
    unlabelled: str = ""       # folder of unlabelled articles for self-training ("" = none)
    pseudo_min_confidence: float = 0.5
    semeval2021: str = ""      # folder of SemEval-2021 Task 6 files, added as extra training data
    counterfactual: float = 0.5   # share of training articles replaced by a copy with named sides swapped
    counterfactual_hold_out: tuple[str, ...] = ("Israel/Palestine", "Democrats/Republicans")  # divides kept for the audit

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The words names read as in training, with ``blind_names``."""
        from ..model.names import DISTINCT, PLACEHOLDER
        return DISTINCT if self.distinct_names else (PLACEHOLDER,)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


# the bundled default model's recipe: what `propscope train` trains unless told otherwise. TrainConfig's
# own defaults stay what runs were trained with before each setting existed, so saved settings read the same.
RECIPE = {"base": "all-mpnet-base-v2", "layers": 4, "frozen_embeddings": True, "precision": "bf16"}


def windows_of(size: int) -> dict:
    """Window settings for ``size`` content tokens: training windows overlap by a quarter, inference ones
    by an eighth (about what the recipe's 254, every 192 and 224, does)."""
    return {"window": size, "stride": size - size // 4, "inference_stride": size - size // 8}


def recipe(config: dict) -> dict:
    """The settings that decide what a run learns, as JSON holds them (threads change its speed only;
    refit says whether another run follows, on every article); a setting added after a run was
    trained is at its default, which is how the run was trained. A combined model's config holds
    no training settings of its own, but each member's recipe, read the same way."""
    if "members" in config:
        full = config | {"members": [m | {"recipe": shared_recipe(m["recipe"])} for m in config["members"]]}
    else:
        full = asdict(TrainConfig()) | config
    return {k: v for k, v in json.loads(json.dumps(full)).items() if k not in ("threads", "refit")}


# what may differ between the runs of one recipe over its folds: which fold is held out and whether
# the model is then refitted on every article, the seed, and float precision (bf16 moves held-out
# figures less than another seed does)
PER_RUN = ("fold", "refit", "seed", "precision")


def differing(a: dict, b: dict) -> list[str]:
    """The settings in which two recipes differ, by name."""
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def shared_recipe(config: dict) -> dict:
    """The settings every run of one recipe shares, whatever fold it holds out."""
    return {k: v for k, v in recipe(config).items() if k not in PER_RUN}
