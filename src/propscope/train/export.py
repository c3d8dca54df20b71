"""Export a trained model for inference without torch: ONNX encoder (7-bit integer weights) + numpy span head."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch

from ..model.features import N_TOKEN_FEATURES
from .model import ExportedEncoder, SpanModel, layers_of


def _fresh(state_path: Path, encoder_dir: Path, span_hidden: int, cues: bool, lora_rank: int = 0) -> SpanModel:
    state = torch.load(state_path, map_location="cpu")
    model = SpanModel(str(encoder_dir), span_hidden=span_hidden, cues=cues, lora_rank=lora_rank,
                      crf="crf.transitions" in state, layers=layers_of(state))
    model.load_state_dict(state)
    return model.eval()


def export(state_path: Path, encoder_dir: Path, span_hidden: int, out: Path, quantize: bool = True,
           cues: bool = False, frozen_base: str = "", lora_rank: int = 0) -> None:
    """``cues``: the model reads hand-made token features, a third input ``token_cues``.
    ``frozen_base``: the name of the base encoder whose frozen weights are left out (split_frozen)."""
    # a fresh instance: the exporting instance's later outputs were seen to change
    model = _fresh(state_path, encoder_dir, span_hidden, cues, lora_rank)
    out.mkdir(parents=True, exist_ok=True)
    head = {"w1": model.span_in.weight.detach().numpy().T.copy(), "b1": model.span_in.bias.detach().numpy(),
            "w2": model.span_out.weight.detach().numpy().T.copy(), "b2": model.span_out.bias.detach().numpy()}
    if model.crf is not None:
        head |= {"crf_start": model.crf.start_transitions.detach().numpy(),
                 "crf_end": model.crf.end_transitions.detach().numpy(),
                 "crf_pairs": model.crf.transitions.detach().numpy()}
    np.savez(out / "span_head.npz", **head)
    # plain (eager) attention exports as a pattern onnxruntime fuses into its Attention kernel
    try:
        model.encoder.set_attn_implementation("eager")
    except (AttributeError, ValueError):
        pass                      # architectures with one attention implementation
    ids = torch.randint(1000, 2000, (2, 32))
    mask = torch.ones_like(ids)
    raw = out / "encoder.raw.onnx"
    args, names = (ids, mask), ["input_ids", "attention_mask"]
    if cues:
        args, names = (ids, mask, torch.rand(2, 32, N_TOKEN_FEATURES)), names + ["token_cues"]
    axes = {name: {0: "batch", 1: "seq"} for name in names + ["states", "tag_logits"]}
    torch.onnx.export(ExportedEncoder(model), args, str(raw), input_names=names,
                      output_names=["states", "tag_logits"], dynamic_axes=axes, opset_version=17, dynamo=False)
    fp32 = out / "encoder.fp32.onnx"
    fuse(raw, fp32, model.encoder.config)
    raw.unlink()
    check(_fresh(state_path, encoder_dir, span_hidden, cues, lora_rank), fp32)
    shutil.copy(encoder_dir / "tokenizer.json", out / "tokenizer.json")
    if frozen_base:
        split_frozen(fp32, out, frozen_base, encoder_dir)
    elif quantize:
        import onnx
        onnx.save(quantized(fp32, out / "encoder.quantized.onnx"), str(out / "encoder.onnx"))
    else:
        shutil.copy(fp32, out / "encoder.onnx")


def quantized(fp32: Path, scratch: Path, exclude: list[str] = ()):
    """``fp32`` quantised to int8 (dynamic, per channel) but for the nodes named in ``exclude``,
    then its weights to 7 bits (seven_bit_weights); ``scratch`` is a file it writes on the way and removes."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(str(fp32), str(scratch), weight_type=QuantType.QInt8, per_channel=True,
                     nodes_to_exclude=list(exclude), extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    model = onnx.load(str(scratch))
    scratch.unlink()
    seven_bit_weights(model)
    return model


# inputs of each integer matrix product: its weights, their scale (None: a Mul after it holds it), their zero point
_WEIGHT_INPUTS = {"MatMulInteger": (1, None, 3), "QAttention": (1, 4, 7)}
SEVEN_BIT = 64          # the largest |weight| seven_bit_weights leaves


def seven_bit_weights(model) -> int:
    """Halve the int8 weights of a quantised graph (rounded, so |w| <= 64) and double their scales;
    returns how many weights it changed (none the second time).

    On x86 CPUs without VNNI (AMD before Zen 4, Intel before Cascade Lake and Ice Lake)
    onnxruntime multiplies uint8 activations by int8 weights with an instruction (vpmaddubsw) that
    adds two products into 16 bits and saturates: with full int8 weights a product was off by up
    to 12% of its largest output on an AVX2-only AMD EPYC, and the model's outputs drift from what
    was validated. With |w| <= 64 two products stay within 2 * 255 * 64 = 32640 < 32767: exact
    there, and VNNI CPUs keep their fast uint8-by-int8 instruction (storing the weights as uint8
    instead was exact too, but 20-40% slower on a VNNI Xeon). Halving what int8 quantisation
    wrote, rather than quantising to 7 bits directly, lets an int8 model be converted to exactly
    what a fresh export gives.
    """
    import onnx
    from onnx import numpy_helper

    inits = {t.name: t for t in model.graph.initializer}
    scales = {}             # int8 weight -> its scale
    for node in model.graph.node:
        at = _WEIGHT_INPUTS.get(node.op_type)
        weight = inits.get(node.input[at[0]]) if at else None
        if weight is None or weight.data_type != onnx.TensorProto.INT8 or weight.name in scales:
            continue
        if np.abs(numpy_helper.to_array(weight).astype(np.int16)).max() <= SEVEN_BIT:
            continue                                        # already within 7 bits
        zero = inits.get(node.input[at[2]]) if len(node.input) > at[2] else None
        if zero is not None and numpy_helper.to_array(zero).any():
            raise ValueError(f"{node.name}: weights with a non-zero zero point (asymmetric quantisation)")
        scale = node.input[at[1]] if at[1] is not None else weight.name.removesuffix("_quantized") + "_scale"
        if scale not in inits:
            raise ValueError(f"{node.name}: no scale found for {weight.name}")
        scales[weight.name] = scale
    if len(set(scales.values())) != len(scales):
        raise ValueError("a scale shared by two weights: halving one would change the other")
    for name, scale in scales.items():
        w = numpy_helper.to_array(inits[name])
        inits[name].CopyFrom(numpy_helper.from_array(np.round(w / 2).astype(np.int8), name))
        s = numpy_helper.to_array(inits[scale])
        inits[scale].CopyFrom(numpy_helper.from_array((s * 2).astype(s.dtype), scale))
    return len(scales)


def fuse(src: Path, dst: Path, config) -> None:
    """onnxruntime's BERT graph fusions (attention, layer norms, GELU): about 20% faster on CPU.
    Other architectures (MPNet's relative attention) are kept as exported."""
    if config.model_type != "bert":
        shutil.copy(src, dst)
        return
    from onnxruntime.transformers import optimizer
    fused = optimizer.optimize_model(str(src), model_type="bert", num_heads=config.num_attention_heads,
                                     hidden_size=config.hidden_size)
    fused.save_model_to_file(str(dst))


def check(model: SpanModel, onnx_path: Path, tolerance: float = 1e-3) -> float:
    """The ONNX graph must match a torch instance that was not the exporting one, on a padded
    batch of another shape than the traced one."""
    import onnxruntime as ort
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 5000, (3, 57), generator=gen)
    mask = torch.ones_like(ids)
    mask[1, 40:] = 0
    mask[2, 9:] = 0
    ids[mask == 0] = 0
    cues = None
    feeds = {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
    if model.cues is not None:
        cues = (torch.rand(3, 57, N_TOKEN_FEATURES, generator=gen) > 0.7).float() * mask[..., None]
        feeds["token_cues"] = cues.numpy()
    with torch.no_grad():
        states, logits = model.encode(ids, mask, cues)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    o_states, o_logits = sess.run(None, feeds)
    keep = mask.bool().numpy()
    diff = max(float(np.abs(o_states - states.numpy())[keep].max()),
               float(np.abs(o_logits - logits.numpy())[keep].max()))
    if diff > tolerance:
        raise RuntimeError(f"ONNX export differs from torch by {diff:.2e} on a padded batch")
    return diff


def split_frozen(fp32: Path, out: Path, base: str, base_dir: Path, min_size: int = 4096) -> dict:
    """Quantise ``fp32`` into ``out/encoder.onnx`` without the weights training left as pretrained.

    A weight is frozen when its bytes are those of a tensor of the base encoder's
    model.safetensors, or of its transpose. Frozen weights stay float32 (the nodes that read them
    are not quantised) and become references into ``frozen.bin``, which ``frozen.json``
    describes: propscope.model.frozen writes that file again from the base encoder's package.
    """
    import hashlib
    import json

    import onnx
    from onnx import external_data_helper, numpy_helper
    from safetensors.numpy import load_file

    from ..model.frozen import MANIFEST

    def digest(a: np.ndarray) -> str:
        return hashlib.sha256(str(a.shape).encode() + np.ascontiguousarray(a, np.float32).tobytes()).hexdigest()

    known = {}
    for key, a in load_file(base_dir / "model.safetensors").items():
        if a.dtype == np.float32 and a.size >= min_size:
            known.setdefault(digest(a), {"key": key, "transpose": False})
            if a.ndim == 2:
                known.setdefault(digest(a.T), {"key": key, "transpose": True})
    graph = onnx.load(str(fp32))
    frozen = {}
    for t in graph.graph.initializer:
        if t.data_type == onnx.TensorProto.FLOAT and np.prod(t.dims) >= min_size:
            hit = known.get(digest(numpy_helper.to_array(t)))
            if hit:
                frozen[t.name] = hit
    exclude = [n.name for n in graph.graph.node if any(i in frozen for i in n.input)]
    model = quantized(fp32, out / "encoder.quantized.onnx", exclude)
    tensors, offset = [], 0
    with open(out / "frozen.bin", "wb") as f:
        for t in model.graph.initializer:
            if t.name not in frozen:
                continue
            data = numpy_helper.to_array(t).astype(np.float32).tobytes()
            offset = -(-offset // 4096) * 4096           # page-aligned, as onnxruntime maps it
            f.seek(offset)
            f.write(data)
            external_data_helper.set_external_data(t, "frozen.bin", offset, len(data))
            t.data_location = onnx.TensorProto.EXTERNAL
            t.ClearField("raw_data")
            t.ClearField("float_data")
            tensors.append({"name": t.name, **frozen[t.name], "offset": offset})
            offset += len(data)
    onnx.save(model, str(out / "encoder.onnx"))
    h = hashlib.sha256((out / "frozen.bin").read_bytes()).hexdigest()
    spec = {"base": base, "file": "frozen.bin", "size": offset, "sha256": h, "tensors": tensors}
    (out / MANIFEST).write_text(json.dumps(spec, indent=1) + "\n")
    return spec
