import numpy as np
import pytest

from coral_inference.backends.interpreter import get_provider
from coral_inference.backends.selftest import INPUT_SIZE, OUTPUT_SIZE, build_selftest_model, reference_output


def test_selftest_model_output_matches_numpy():
    provider = get_provider("auto")
    interp = provider.Interpreter(model_content=build_selftest_model())
    interp.allocate_tensors()
    rng = np.random.default_rng(42)
    for _ in range(5):
        x = rng.standard_normal((1, INPUT_SIZE)).astype(np.float32)
        interp.set_tensor(interp.get_input_details()[0]["index"], x)
        interp.invoke()
        y = interp.get_tensor(interp.get_output_details()[0]["index"])
        assert y.shape == (1, OUTPUT_SIZE)
        np.testing.assert_allclose(y, reference_output(x), rtol=1e-5, atol=1e-5)


def test_selftest_model_reads_back_with_the_tflite_schema_package():
    tflite = pytest.importorskip("tflite")
    model = tflite.Model.GetRootAsModel(build_selftest_model(), 0)
    assert model.OperatorCodesLength() == 1
    assert model.OperatorCodes(0).BuiltinCode() == tflite.BuiltinOperator.FULLY_CONNECTED
    graph = model.Subgraphs(0)
    assert graph.OperatorsLength() == 1
    assert graph.Tensors(graph.Inputs(0)).ShapeAsNumpy().tolist() == [1, INPUT_SIZE]
    assert graph.Tensors(graph.Outputs(0)).ShapeAsNumpy().tolist() == [1, OUTPUT_SIZE]


def test_selftest_model_is_deterministic_and_the_stored_bytes_are_what_the_builder_writes():
    from coral_inference.backends.selftest import DESCRIPTION, build_dense_model, weights

    first = build_dense_model(*weights(), description=DESCRIPTION)
    assert build_dense_model(*weights(), description=DESCRIPTION) == first
    assert build_selftest_model() == first  # SELFTEST_BYTES: the default run builds nothing


def test_selftest_inspection_matches_what_the_flatbuffer_reader_finds():
    pytest.importorskip("tflite")
    from coral_inference.backends.models import inspect_content, load_model
    from coral_inference.backends.selftest import inspection

    assert inspection() == inspect_content(build_selftest_model())
    model = load_model("builtin:selftest")
    assert model.inspect() == {**model.describe(), **inspect_content(model.content)}
