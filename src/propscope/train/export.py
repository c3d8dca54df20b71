"""Export a trained model for inference without torch: ONNX encoder (int8) + numpy span head."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch

from ..model.features import N_TOKEN_FEATURES
from .model import ExportedEncoder, SpanModel


def _fresh(state_path: Path, encoder_dir: Path, span_hidden: int, cues: bool, lora_rank: int = 0) -> SpanModel:
    model = SpanModel(str(encoder_dir), span_hidden=span_hidden, cues=cues, lora_rank=lora_rank)
    model.load_state_dict(torch.load(state_path, map_location="cpu"))
    return model.eval()


def export(state_path: Path, encoder_dir: Path, span_hidden: int, out: Path, quantize: bool = True,
           cues: bool = False, frozen_base: str = "", lora_rank: int = 0) -> None:
    """``cues``: the model reads hand-made token features, a third input ``token_cues``.
    ``frozen_base``: the name of the base encoder whose frozen weights are left out (split_frozen)."""
    # a fresh instance: the exporting instance's later outputs were seen to change
    model = _fresh(state_path, encoder_dir, span_hidden, cues, lora_rank)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "span_head.npz",
             w1=model.span_in.weight.detach().numpy().T.copy(), b1=model.span_in.bias.detach().numpy(),
             w2=model.span_out.weight.detach().numpy().T.copy(), b2=model.span_out.bias.detach().numpy())
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
    its weights stored unsigned; ``scratch`` is a file it writes on the way and removes."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(str(fp32), str(scratch), weight_type=QuantType.QInt8, per_channel=True,
                     nodes_to_exclude=list(exclude), extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    model = onnx.load(str(scratch))
    scratch.unlink()
    unsigned_weights(model)
    return model


# the weight input of each integer matrix product, and its zero point's
_WEIGHT_INPUTS = {"MatMulInteger": (1, 3), "QAttention": (1, 7)}


def unsigned_weights(model) -> int:
    """Store the int8 weights of a quantised graph as uint8 with zero point 128; returns how many.

    The product is the same integers: (a - za)(w + 128 - 128). But on x86 CPUs without VNNI
    (AMD before Zen 4, Intel before Cascade Lake and Ice Lake) onnxruntime multiplies uint8
    activations by int8 weights with an instruction that saturates at 16 bits (a product off by
    up to 12% of its largest output, measured on an AVX2-only AMD EPYC), and the model's outputs
    drift from what was validated; uint8 by uint8 is exact on every CPU.
    """
    import onnx
    from onnx import numpy_helper

    inits = {t.name: t for t in model.graph.initializer}
    signed = []             # (node, weight input, zero point input) of each product of int8 weights
    for node in model.graph.node:
        at = _WEIGHT_INPUTS.get(node.op_type)
        weight = inits.get(node.input[at[0]]) if at else None
        if weight is not None and weight.data_type == onnx.TensorProto.INT8:
            signed.append((node, *at))
    names = {node.input[w_at] for node, w_at, _ in signed}
    for name in names:
        w = numpy_helper.to_array(inits[name]).astype(np.int16)
        inits[name].CopyFrom(numpy_helper.from_array((w + 128).astype(np.uint8), name))
    for node, w_at, zp_at in signed:
        node.input.extend([""] * (zp_at + 1 - len(node.input)))
        signed_zp = node.input[zp_at]
        zp = numpy_helper.to_array(inits[signed_zp]).astype(np.int16) if signed_zp else np.zeros((), np.int16)
        zp_name = f"{node.input[w_at]}_zero_point_u8"
        if zp_name not in inits:
            inits[zp_name] = numpy_helper.from_array((zp + 128).astype(np.uint8), zp_name)
            model.graph.initializer.append(inits[zp_name])
        node.input[zp_at] = zp_name
    # zero points that only the int8 weights used
    used = {i for n in model.graph.node for i in n.input} | {i.name for i in model.graph.input}
    for t in [t for t in model.graph.initializer if t.name not in used]:
        model.graph.initializer.remove(t)
    return len(names)


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
