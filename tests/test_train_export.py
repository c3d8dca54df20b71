"""Quantised graphs multiply integers exactly on every CPU: their weights are 7 bits."""

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="needs the train extra")
pytest.importorskip("torch", reason="needs the train extra")

import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from propscope.train.export import SEVEN_BIT, quantized, seven_bit_weights  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "src" / "propscope" / "model"
QEMU = shutil.which("qemu-x86_64")


def _int8_product(w: np.ndarray, scale: np.ndarray, rows: int, zp: np.ndarray | None = None):
    """a @ w of uint8 activations (zero point 128) and int8 weights, as dynamic quantisation writes it:
    the integer product ``y`` and ``z``, it times the weights' scale."""
    zp = np.zeros(w.shape[1], np.int8) if zp is None else zp
    inits = [numpy_helper.from_array(w, "w_quantized"), numpy_helper.from_array(np.array(128, np.uint8), "az"),
             numpy_helper.from_array(zp, "w_zero_point"), numpy_helper.from_array(scale, "w_scale")]
    nodes = [helper.make_node("MatMulInteger", ["a", "w_quantized", "az", "w_zero_point"], ["y"]),
             helper.make_node("Cast", ["y"], ["yf"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["yf", "w_scale"], ["z"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("a", TensorProto.UINT8, [rows, w.shape[0]])],
                              [helper.make_tensor_value_info("y", TensorProto.INT32, None),
                               helper.make_tensor_value_info("z", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(model, feeds: dict) -> list[np.ndarray]:
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)


def _weights(model) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def test_seven_bit_weights_give_the_exact_integer_product():
    rng = np.random.default_rng(3)
    # extreme activations against extreme weights: where a full int8 product saturates without VNNI
    w = rng.choice(np.array([-127, -100, 0, 90, 127], np.int8), size=(256, 48))
    a = rng.choice(np.array([0, 3, 250, 255], np.uint8), size=(16, 256))
    scale = rng.uniform(0.001, 0.01, 48).astype(np.float32)
    model = _int8_product(w, scale, len(a))
    assert seven_bit_weights(model) == 1
    seven = _weights(model)
    assert seven["w_quantized"].dtype == np.int8 and np.abs(seven["w_quantized"]).max() == SEVEN_BIT
    assert np.array_equal(seven["w_scale"], scale * 2)
    y, z = _run(model, {"a": a})
    assert np.array_equal(y, (a.astype(np.int64) - 128) @ seven["w_quantized"].astype(np.int64))
    # the same product as before within the halving's rounding: at most one unit of the old scale a weight
    before = ((a.astype(np.int64) - 128) @ w.astype(np.int64)) * scale
    assert np.all(np.abs(z - before) <= np.abs(a.astype(np.int64) - 128).sum(1, keepdims=True) * scale + 1e-3)
    assert seven_bit_weights(model) == 0          # nothing left to convert


_PRODUCTS = """
import sys, numpy as np, onnxruntime as ort
from pathlib import Path
folder = Path(sys.argv[1])
a = np.load(folder / "a.npy")
for name in ("full", "seven"):
    session = ort.InferenceSession(str(folder / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    np.save(folder / f"{name}.npy", session.run(["y"], {"a": a})[0])
"""


@pytest.mark.skipif(platform.machine() != "x86_64" or QEMU is None, reason="needs qemu-user on an x86-64 machine")
def test_seven_bit_products_are_exact_on_a_cpu_without_vnni(tmp_path):
    """onnxruntime under an emulated AMD EPYC Rome (AVX2, no VNNI): full int8 weights saturate, 7-bit ones do not."""
    rng = np.random.default_rng(4)
    w = rng.choice(np.array([-127, -100, 0, 90, 127], np.int8), size=(256, 48))
    a = rng.choice(np.array([0, 3, 250, 255], np.uint8), size=(16, 256))
    full, seven = (_int8_product(w, np.ones(48, np.float32), len(a)) for _ in range(2))
    seven_bit_weights(seven)
    onnx.save(full, str(tmp_path / "full.onnx"))
    onnx.save(seven, str(tmp_path / "seven.onnx"))
    np.save(tmp_path / "a.npy", a)
    subprocess.run([QEMU, "-cpu", "EPYC-Rome", sys.executable, "-c", _PRODUCTS, str(tmp_path)], check=True,
                   stderr=subprocess.DEVNULL, timeout=600)
    centred = a.astype(np.int64) - 128
    # the emulated CPU is one that saturates: else this test would prove nothing
    assert not np.array_equal(np.load(tmp_path / "full.npy"), centred @ w.astype(np.int64))
    assert np.array_equal(np.load(tmp_path / "seven.npy"), centred @ _weights(seven)["w_quantized"].astype(np.int64))


def test_a_weight_shared_by_two_products_is_halved_once():
    w = np.arange(-120, 120, 2, dtype=np.int8).reshape(8, 15)
    scale = np.full(15, 0.5, np.float32)
    model = _int8_product(w, scale, 2)
    twin = helper.make_node("MatMulInteger", list(model.graph.node[0].input), ["y2"])
    model.graph.node.append(twin)
    model.graph.output.append(helper.make_tensor_value_info("y2", TensorProto.INT32, None))
    assert seven_bit_weights(model) == 1
    assert np.array_equal(_weights(model)["w_quantized"], w // 2)
    assert np.array_equal(_weights(model)["w_scale"], scale * 2)
    a = np.full((2, 8), 255, np.uint8)
    y, _, y2 = _run(model, {"a": a})
    assert np.array_equal(y, y2) and np.array_equal(y, (a.astype(np.int64) - 128) @ (w.astype(np.int64) // 2))


def test_weights_with_a_zero_point_are_refused():
    model = _int8_product(np.full((4, 3), 127, np.int8), np.ones(3, np.float32), 1, zp=np.array([0, 5, 0], np.int8))
    with pytest.raises(ValueError, match="zero point"):
        seven_bit_weights(model)


def test_a_quantised_export_keeps_the_float_product(tmp_path):
    rng = np.random.default_rng(5)
    w = rng.normal(0, 0.05, (64, 32)).astype(np.float32)
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(w, "w")])
    fp32 = tmp_path / "fp32.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(fp32))
    model = quantized(fp32, tmp_path / "scratch.onnx")
    assert not (tmp_path / "scratch.onnx").exists()
    ints = [v for v in _weights(model).values() if v.dtype == np.int8 and v.ndim == 2]
    assert len(ints) == 1 and np.abs(ints[0]).max() == SEVEN_BIT
    x = rng.normal(0, 1, (10, 64)).astype(np.float32)
    (y,) = _run(model, {"x": x})
    exact = x @ w
    assert np.abs(y - exact).max() < 0.05 * np.abs(exact).max()


@pytest.mark.parametrize("folder", ["weights", "large"])
def test_the_bundled_encoders_hold_seven_bit_weights(folder):
    model = onnx.load(str(MODELS / folder / "encoder.onnx"), load_external_data=False)
    inits = {t.name: t for t in model.graph.initializer}
    products = [n for n in model.graph.node if n.op_type in ("MatMulInteger", "QAttention")]
    assert products
    for node in products:
        w = inits[node.input[1]]
        assert w.data_type == TensorProto.INT8, node.name
        assert np.abs(numpy_helper.to_array(w).astype(np.int16)).max() <= SEVEN_BIT, node.name
