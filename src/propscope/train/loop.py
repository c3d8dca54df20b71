"""The training loop: tagger and span classifier learned together."""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..techniques import NAMES
from .config import TrainConfig, differing, recipe
from .examples import IGNORE, WindowExample
from .model import SpanModel


def collate(batch: list[WindowExample], cls_id: int, sep_id: int, pad_id: int = 0):
    width = max(len(ex.ids) for ex in batch) + 2
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    tags = torch.full_like(ids, IGNORE)
    cues = None
    if batch[0].cues is not None:     # [CLS], [SEP] and padding carry no cues
        cues = torch.zeros((len(batch), width, batch[0].cues.shape[1]), dtype=torch.float32)
    rows, firsts, lasts, labels, feats = [], [], [], [], []
    for r, ex in enumerate(batch):
        n = len(ex.ids)
        ids[r, 0], ids[r, n + 1] = cls_id, sep_id
        ids[r, 1:n + 1] = torch.from_numpy(ex.ids)
        mask[r, :n + 2] = 1
        tags[r, 1:n + 1] = torch.from_numpy(ex.tags)
        if cues is not None:
            cues[r, 1:n + 1] = torch.from_numpy(ex.cues)
        for first, last, label, f in ex.spans:
            rows.append(r); firsts.append(first + 1); lasts.append(last + 1)
            labels.append(label); feats.append(f)
    spans = None
    if rows:
        spans = (torch.tensor(rows), torch.tensor(firsts), torch.tensor(lasts),
                 torch.tensor(labels), torch.from_numpy(np.stack(feats)))
    return ids, mask, tags, spans, cues


def class_weights(examples: list[WindowExample], power: float) -> torch.Tensor:
    counts = Counter(label for ex in examples for _, _, label, _ in ex.spans)
    top = max(counts.values())
    w = torch.tensor([(top / max(counts.get(i, 1), 1)) ** power for i in range(len(NAMES))])
    return w / w.mean()


def _identity(cfg: TrainConfig, examples: list[WindowExample]) -> dict:
    """What a checkpoint must share with the run that resumes it: the recipe and the training
    windows themselves (the data, tokenizer and window settings)."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(ex.ids.tobytes()); h.update(ex.tags.tobytes())
        for first, last, label, feats in ex.spans:
            h.update(f"{first} {last} {label}".encode()); h.update(np.asarray(feats).tobytes())
    return recipe(asdict(cfg)) | {"training windows": h.hexdigest()}


def _resume(checkpoint: Path, identity: dict, model, opt, sched, rng) -> tuple[int, int, float]:
    """Load the last finished epoch's state; (epochs done, steps done, seconds spent)."""
    saved = torch.load(checkpoint, weights_only=False)
    differ = differing(saved["recipe"], identity)
    if differ:
        raise SystemExit(f"{checkpoint} was written by another recipe (it differs in {', '.join(differ)}): "
                         "remove it to start again, or train into another --out")
    model.load_state_dict(saved["model"])
    opt.load_state_dict(saved["optimizer"])
    sched.load_state_dict(saved["scheduler"])
    rng.setstate(saved["python_rng"])
    torch.set_rng_state(saved["torch_rng"])
    return saved["epoch"], saved["step"], saved["seconds"]


def _save(checkpoint: Path, identity: dict, model, opt, sched, rng, epoch: int, step: int, seconds: float) -> None:
    """Everything the next epoch depends on, written whole or not at all."""
    part = checkpoint.with_name(checkpoint.name + ".part")
    torch.save({"recipe": identity, "epoch": epoch, "step": step, "seconds": seconds,
                "model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "python_rng": rng.getstate(), "torch_rng": torch.get_rng_state()}, part)
    part.replace(checkpoint)


def train(model: SpanModel, examples: list[WindowExample], cfg: TrainConfig, cls_id: int, sep_id: int,
          pad_id: int = 0, log=print, checkpoint: Path | None = None) -> float:
    """Train in place; the seconds it took. With ``checkpoint``, the state after each epoch is kept
    there, and a run that finds one goes on from it exactly as if it had not been stopped."""
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    model.freeze(cfg.frozen_layers, cfg.frozen_embeddings)
    head_params = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    enc_params = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.requires_grad]
    opt = torch.optim.AdamW([{"params": enc_params, "lr": cfg.lr_encoder},
                             {"params": head_params, "lr": cfg.lr_heads}], weight_decay=cfg.weight_decay)
    steps = cfg.epochs * math.ceil(len(examples) / cfg.batch_size)
    warm = max(1, int(cfg.warmup * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    tag_loss = nn.CrossEntropyLoss(weight=torch.tensor(cfg.si_weights), ignore_index=IGNORE)
    span_loss = nn.CrossEntropyLoss(weight=class_weights(examples, cfg.class_weight_power))
    done, step, spent = 0, 0, 0.0
    identity = _identity(cfg, examples) if checkpoint is not None else {}
    if checkpoint is not None and checkpoint.exists():
        done, step, spent = _resume(checkpoint, identity, model, opt, sched, rng)
        log(f"resuming from {checkpoint}: {done} of {cfg.epochs} epochs done")
    t0 = time.time() - spent
    for epoch in range(done, cfg.epochs):
        model.train()
        order = list(range(len(examples)))
        rng.shuffle(order)
        # batches of similar length waste less padding
        chunks = [order[i:i + cfg.batch_size * 20] for i in range(0, len(order), cfg.batch_size * 20)]
        batches = []
        for chunk in chunks:
            chunk.sort(key=lambda i: len(examples[i].ids))
            batches += [chunk[i:i + cfg.batch_size] for i in range(0, len(chunk), cfg.batch_size)]
        rng.shuffle(batches)
        totals = Counter()
        for b in batches:
            ids, mask, tags, spans, cues = collate([examples[i] for i in b], cls_id, sep_id, pad_id)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.precision == "bf16"):
                states, tag_logits = model.encode(ids, mask, cues)
                if spans is not None:
                    rows, firsts, lasts, labels, feats = spans
                    span_logits = model.classify(states, rows, firsts, lasts, feats)
            loss_t = model.tag_loss(tag_logits, tags, tag_loss)
            loss = loss_t
            if spans is not None:
                loss_s = span_loss(span_logits.float(), labels)
                loss = loss + cfg.span_loss_weight * loss_s
                totals["span"] += loss_s.item()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            totals["tag"] += loss_t.item()
            totals["n"] += 1
            if step % 50 == 0:
                log(f"epoch {epoch + 1} step {step}/{steps} tag {totals['tag'] / totals['n']:.4f} "
                    f"span {totals['span'] / totals['n']:.4f} {time.time() - t0:.0f}s")
        log(f"epoch {epoch + 1} done: tag {totals['tag'] / totals['n']:.4f} span {totals['span'] / totals['n']:.4f} "
            f"{time.time() - t0:.0f}s")
        if checkpoint is not None:         # the last epoch too: a run stopped while exporting keeps its training
            _save(checkpoint, identity, model, opt, sched, rng, epoch + 1, step, time.time() - t0)
    return time.time() - t0
