"""The torch model: an encoder, a BIO tagger head and a span classifier head."""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel
from transformers.utils import logging as hf_logging

from ..errors import InputError
from ..model.features import N_FEATURES, N_TOKEN_FEATURES
from ..techniques import NAMES


class LowRank(nn.Module):
    """A linear layer kept as pretrained, plus a trained low-rank update (LoRA): x W + (x A) B s.
    B starts at zero, so the layer starts as pretrained; only A and B are trained."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        self.a = nn.Parameter(torch.randn(base.in_features, rank) / rank)
        self.b = nn.Parameter(torch.zeros(rank, base.out_features))
        self.scale = alpha / rank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.a @ self.b) * self.scale


def _pretrained(encoder_dir: str, layers: int = 0) -> nn.Module:
    """The pretrained encoder; with ``layers``, its bottom ``layers`` layers only (the weights of
    the others are left out on purpose, so the loader's report of them is not shown)."""
    if not layers:
        return AutoModel.from_pretrained(encoder_dir)
    depth = AutoConfig.from_pretrained(encoder_dir).num_hidden_layers
    if layers > depth:        # the loader would add layers of random weights, and say so only in its log
        raise InputError(f"--layers {layers}: the encoder has {depth} layers; keep {depth} or fewer")
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return AutoModel.from_pretrained(encoder_dir, num_hidden_layers=layers)
    finally:
        hf_logging.set_verbosity(level)


class SpanModel(nn.Module):
    def __init__(self, encoder_dir: str, span_hidden: int = 256, dropout: float = 0.1, cues: bool = False,
                 lora_rank: int = 0, crf: bool = False, layers: int = 0):
        super().__init__()
        self.encoder = _pretrained(encoder_dir, layers)
        if lora_rank:
            self._low_rank(lora_rank)
        hidden = self.encoder.config.hidden_size
        self.cues = None
        if cues:      # hand-made token features join the word embeddings; zero at first, so the
            self.cues = nn.Linear(N_TOKEN_FEATURES, hidden)   # encoder starts as pretrained
            nn.init.zeros_(self.cues.weight)
            nn.init.zeros_(self.cues.bias)
        self.dropout = nn.Dropout(dropout)
        self.tagger = nn.Linear(hidden, 3)                      # O, B, I
        self.crf = None
        if crf:       # tag sequences scored with learned scores of neighbouring tags
            from torchcrf import CRF
            self.crf = CRF(3, batch_first=True)
        self.span_in = nn.Linear(3 * hidden + N_FEATURES, span_hidden)
        self.span_out = nn.Linear(span_hidden, len(NAMES))

    def _low_rank(self, rank: int) -> None:
        """Every linear layer of the encoder's layers becomes pretrained + low-rank update, and
        every other encoder weight stays as pretrained: what ships is the updates and the heads."""
        for p in self.encoder.parameters():
            p.requires_grad_(False)
        for layer in self.encoder.encoder.layer:
            for name, module in list(layer.named_modules()):
                for child, linear in list(module.named_children()):
                    if isinstance(linear, nn.Linear):
                        setattr(module, child, LowRank(linear, rank, alpha=2.0 * rank))

    def freeze(self, layers: int, embeddings: bool = False) -> None:
        """Keep the embeddings and the bottom ``layers`` encoder layers as pretrained (with what
        every layer shares, as MPNet's relative position bias): only the top is trained, so only
        the top need ship. ``embeddings``: the embeddings alone, when no layer is kept."""
        if layers <= 0 and not embeddings:
            return
        bottom = {f"encoder.layer.{i}." for i in range(layers)}
        for name, p in self.encoder.named_parameters():
            if name.startswith("embeddings.") or any(name.startswith(b) for b in bottom) \
                    or (layers > 0 and name.startswith("encoder.relative_attention_bias")):
                p.requires_grad_(False)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
               cues: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if self.cues is None:
            states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        else:
            embeds = self.encoder.get_input_embeddings()(input_ids) + self.cues(cues)
            states = self.encoder(inputs_embeds=embeds, attention_mask=attention_mask).last_hidden_state
        return states, self.tagger(self.dropout(states))

    def tag_loss(self, tag_logits: torch.Tensor, tags: torch.Tensor, weighted: nn.Module) -> torch.Tensor:
        """The tagger's loss: ``weighted`` cross-entropy per token, or, with a CRF layer, the
        negative log-likelihood of each window's gold tag sequence (per token). Position 0 is [CLS]."""
        if self.crf is None:
            return weighted(tag_logits.float().reshape(-1, 3), tags.reshape(-1))
        content = tags[:, 1:] >= 0
        return -self.crf(tag_logits[:, 1:].float(), tags[:, 1:].clamp(min=0), mask=content, reduction="token_mean")

    def classify(self, states: torch.Tensor, rows: torch.Tensor, firsts: torch.Tensor,
                 lasts: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        """Technique logits for spans given as (row, first token, last token), inclusive."""
        positions = torch.arange(states.shape[1])
        inside = (positions[None, :] >= firsts[:, None]) & (positions[None, :] <= lasts[:, None])
        picked = states[rows]                                   # (n, T, H)
        mean = (picked * inside[..., None]).sum(1) / inside.sum(1, keepdim=True)
        rep = torch.cat([mean, states[rows, firsts], states[rows, lasts], feats], dim=-1)
        return self.span_out(self.dropout(torch.relu(self.span_in(self.dropout(rep)))))


class ExportedEncoder(nn.Module):
    """What goes into ONNX: token ids in, hidden states and tag logits out."""

    def __init__(self, model: SpanModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, cues: torch.Tensor | None = None):
        return self.model.encode(input_ids, attention_mask, cues)


def layers_of(state: dict) -> int:
    """How many encoder layers a SpanModel's weights hold."""
    return 1 + max(int(k.split(".")[3]) for k in state if k.startswith("encoder.encoder.layer."))


def low_rank_state(state: dict, encoder_dir: str, rank: int, span_hidden: int = 256, cues: bool = False) -> dict:
    """A fine-tuned model's weights as a SpanModel with low-rank updates (lora_rank=``rank``): each
    linear map of the encoder's layers is its pretrained weight plus the best rank-``rank``
    approximation (SVD) of what fine-tuning changed; word and position embeddings are taken as
    pretrained; biases, norms and heads as fine-tuned. Exported, only what is not pretrained ships."""
    model = SpanModel(encoder_dir, span_hidden=span_hidden, cues=cues, lora_rank=rank, layers=layers_of(state))
    out = model.state_dict()
    for key in list(out):
        if key.endswith((".a", ".b")) or key.endswith(("word_embeddings.weight", "position_embeddings.weight")):
            continue
        tuned = state[key.replace(".base.", ".")]
        if not key.endswith(".base.weight"):
            out[key] = tuned
            continue
        prefix = key.removesuffix(".base.weight")
        u, s, vh = torch.linalg.svd(tuned.float() - out[key].float(), full_matrices=False)   # (out, in) = u s vh
        root = s[:rank].sqrt()
        out[prefix + ".a"] = vh[:rank].T * root                                     # (in, rank)
        out[prefix + ".b"] = root[:, None] * u[:, :rank].T / model.get_submodule(prefix).scale   # (rank, out)
    return out
