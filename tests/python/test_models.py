import threading
import uuid

import cv2
import numpy as np
import pytest

import autodistill_cpp as ad
from autodistill_cpp import _core
from conftest import test_image

ONTOLOGY = ad.CaptionOntology({"bright": "bright", "dark": "dark"})


class MeanBrightness(ad.BaseModel):
    """One whole-image box, class 0 when the mean pixel is above 127."""

    def __init__(self, ontology=ONTOLOGY):
        super().__init__(ontology)
        self.seen = []

    def name(self):
        return "mean_brightness"

    def predict(self, image):
        self.seen.append((image, threading.get_ident()))
        h, w = image.shape[:2]
        cls = 0 if image.mean() > 127 else 1
        return ad.Detections([[0, 0, w, h]], confidence=[0.5], class_id=[cls])


class Batched(MeanBrightness):
    def predict_batch(self, images):
        self.batch_sizes = getattr(self, "batch_sizes", []) + [len(images)]
        return [ad.Detections([[0, 0, 1, 1]], class_id=[i]) for i in range(len(images))]


def test_python_subclass_direct_calls():
    m = MeanBrightness()
    assert m.name() == "mean_brightness" and m.ontology == ONTOLOGY
    d = m.predict(np.full((4, 6, 3), 200, np.uint8))
    np.testing.assert_array_equal(d.xyxy, [[0, 0, 6, 4]])
    assert d.class_id[0] == 0


def test_python_subclass_through_cpp_gets_zero_copy_read_only_views():
    m = MeanBrightness()
    bright, dark = np.full((8, 8, 3), 250, np.uint8), np.zeros((5, 7, 3), np.uint8)
    out = _core._predict_through_cpp(m, [bright, dark])
    assert [int(d.class_id[0]) for d in out] == [0, 1]
    np.testing.assert_array_equal(out[1].xyxy, [[0, 0, 7, 5]])
    seen = [img for img, _ in m.seen]
    assert np.shares_memory(seen[0], bright) and np.shares_memory(seen[1], dark)  # no copy either way
    assert not seen[0].flags.writeable


def test_through_cpp_accepts_paths_and_converts_gray(tmp_path):
    img = test_image()
    cv2.imwrite(str(tmp_path / "x.png"), img)
    m = MeanBrightness()
    gray = np.full((3, 3), 255, np.uint8)
    out = _core._predict_through_cpp(m, [tmp_path / "x.png", str(tmp_path / "x.png"), gray])
    assert len(out) == 3
    np.testing.assert_array_equal(m.seen[0][0], img)
    assert m.seen[2][0].shape == (3, 3, 3) and out[2].class_id[0] == 0
    with pytest.raises(OSError, match="nothing.png"):
        _core._predict_through_cpp(m, [tmp_path / "nothing.png"])


def test_default_predict_batch_calls_python_predict():
    m = MeanBrightness()
    out = m.predict_batch([np.zeros((2, 2, 3), np.uint8), np.full((2, 2, 3), 255, np.uint8)])
    assert [int(d.class_id[0]) for d in out] == [1, 0] and len(m.seen) == 2


def test_predict_batch_override_is_used_by_cpp():
    m = Batched()
    out = _core._predict_through_cpp(m, [test_image()] * 3)
    assert m.batch_sizes == [3] and m.seen == []
    assert [int(d.class_id[0]) for d in out] == [0, 1, 2]


def test_wrong_return_types_and_missing_overrides():
    class ReturnsNone(MeanBrightness):
        def predict(self, image):
            return None

    with pytest.raises(TypeError, match="must return Detections, got NoneType"):
        _core._predict_through_cpp(ReturnsNone(), [test_image()])

    class ShortBatch(MeanBrightness):
        def predict_batch(self, images):
            return []

    with pytest.raises(ValueError, match="returned 0 results for 2 images"):
        _core._predict_through_cpp(ShortBatch(), [test_image(), test_image()])

    class NoPredict(ad.BaseModel):
        def name(self):
            return "incomplete"

    with pytest.raises(RuntimeError, match="pure virtual"):
        _core._predict_through_cpp(NoPredict(ONTOLOGY), [test_image()])


def test_python_exceptions_propagate_through_cpp():
    class Fails(MeanBrightness):
        def predict(self, image):
            raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError, match="boom"):
        _core._predict_through_cpp(Fails(), [test_image()])


def test_ontology_argument_accepts_a_dict():
    assert MeanBrightness({"a": "b"}).ontology.classes() == ["b"]


def test_registry_with_a_python_factory():
    name = f"py_test_{uuid.uuid4().hex[:8]}"
    received = []

    def factory(options):
        received.append(options)
        model = MeanBrightness(ad.CaptionOntology(options["ontology"]))
        model.threshold = options.get("threshold", 0.3)
        return model  # the registry's shared_ptr keeps this Python object alive

    ad.register_base_model(name, factory, description="test model", supported_prompts=["bright", "dark"])
    assert name in ad.list_models() and ad.list_models() == sorted(ad.list_models())
    info = ad.model_info(name)
    assert info["name"] == name and info["description"] == "test model"
    assert info["supported_prompts"] == ["bright", "dark"] and info["default_options"] == {}

    m = ad.create_base_model(name, {"ontology": ONTOLOGY, "threshold": 0.75})
    assert isinstance(m, MeanBrightness) and m.threshold == 0.75 and m.ontology == ONTOLOGY
    assert received[0] == {"ontology": {"bright": "bright", "dark": "dark"}, "threshold": 0.75}
    m2 = ad.create_base_model(name, ontology={"x": "y"})  # keyword options, a dict ontology
    assert m2.ontology.classes() == ["y"] and m2.threshold == 0.3
    out = _core._predict_through_cpp(m, [np.full((2, 2, 3), 255, np.uint8)])
    assert int(out[0].class_id[0]) == 0

    with pytest.raises(ValueError, match="already registered"):
        ad.register_base_model(name, factory)


def test_registry_errors():
    with pytest.raises(ValueError, match="unknown model 'no_such_model'"):
        ad.create_base_model("no_such_model", {})
    with pytest.raises(ValueError, match="unknown model"):
        ad.model_info("no_such_model")
    name = f"py_bad_{uuid.uuid4().hex[:8]}"
    ad.register_base_model(name, lambda options: 42)
    with pytest.raises(TypeError, match="must return a BaseModel, got int"):
        ad.create_base_model(name)
    with pytest.raises(ValueError, match="cannot convert"):
        ad.create_base_model(name, {"x": object()})
