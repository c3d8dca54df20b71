"""Quantised graphs multiply integers exactly on every CPU: their weights are stored unsigned."""

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="needs the train extra")
pytest.importorskip("torch", reason="needs the train extra")

import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from propscope.train.export import unsigned_weights  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "src" / "propscope" / "model"


def _int8_product(w: np.ndarray, zp: np.ndarray | None, rows: int):
    """A graph a @ w of uint8 activations (zero point 128) and int8 weights, as quantisation writes."""
    inputs = ["a", "w", "az"] + (["wz"] if zp is not None else [])
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array(128, np.uint8), "az")]
    if zp is not None:
        inits.append(numpy_helper.from_array(zp, "wz"))
    graph = helper.make_graph([helper.make_node("MatMulInteger", inputs, ["y"])], "g",
                              [helper.make_tensor_value_info("a", TensorProto.UINT8, [rows, w.shape[0]])],
                              [helper.make_tensor_value_info("y", TensorProto.INT32, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(model, a: np.ndarray) -> list[np.ndarray]:
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"a": a})


@pytest.mark.parametrize("per_channel_zero", [True, False])
def test_unsigned_weights_give_the_exact_integer_product(per_channel_zero):
    rng = np.random.default_rng(3)
    # extreme activations against extreme weights: where an int8 product can saturate
    w = rng.choice(np.array([-127, -100, 0, 90, 127], np.int8), size=(256, 48))
    a = rng.choice(np.array([0, 3, 250, 255], np.uint8), size=(16, 256))
    zp = np.zeros(48, np.int8) if per_channel_zero else None
    model = _int8_product(w, zp, len(a))
    assert unsigned_weights(model) == 1
    weights = {t.name: t for t in model.graph.initializer}
    assert weights["w"].data_type == TensorProto.UINT8
    exact = (a.astype(np.int64) - 128) @ w.astype(np.int64)
    assert np.array_equal(_run(model, a)[0], exact)
    assert unsigned_weights(model) == 0          # nothing left to convert


def test_a_weight_shared_by_two_products_is_converted_once():
    w = np.arange(-60, 60, dtype=np.int8).reshape(8, 15)
    model = _int8_product(w, np.zeros(15, np.int8), 2)
    node = model.graph.node[0]
    twin = helper.make_node("MatMulInteger", list(node.input), ["y2"])
    model.graph.node.append(twin)
    model.graph.output.append(helper.make_tensor_value_info("y2", TensorProto.INT32, None))
    assert unsigned_weights(model) == 1
    a = np.full((2, 8), 255, np.uint8)
    y, y2 = _run(model, a)
    exact = (a.astype(np.int64) - 128) @ w.astype(np.int64)
    assert np.array_equal(y, exact) and np.array_equal(y2, exact)
    assert "wz" not in {t.name for t in model.graph.initializer}      # the int8 zero point went


@pytest.mark.parametrize("folder", ["weights", "large"])
def test_the_bundled_encoders_hold_no_int8_weights(folder):
    model = onnx.load(str(MODELS / folder / "encoder.onnx"), load_external_data=False)
    inits = {t.name: t for t in model.graph.initializer}
    products = [n for n in model.graph.node if n.op_type in ("MatMulInteger", "QAttention")]
    assert products
    for node in products:
        assert inits[node.input[1]].data_type == TensorProto.UINT8, node.name
