"""The offline OpenCV models as Python classes: results, options, errors, and use through C++."""

from pathlib import Path

import numpy as np
import pytest

import autodistill_cpp as ad

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FACE = FIXTURES / "images" / "face.jpg"
# Eileen Collins' face in face.jpg, read off the image (see tests/fixtures/images/LICENSE.md).
FACE_BOX = np.array([[180, 72, 270, 165]], dtype=np.float32)


def test_cascade_finds_the_face_from_a_path_and_from_an_array():
    model = ad.CascadeDetector({"face": "face"})
    assert isinstance(model, ad.BaseModel) and model.name() == "cascade"
    from_path = model.predict(str(FACE))
    from_array = model.predict(ad.load_image(FACE))
    assert len(from_path) == 1 and from_path == from_array
    assert ad.box_iou(from_path.xyxy, FACE_BOX)[0, 0] > 0.7
    assert 0 < from_path.confidence[0] < 1
    assert from_path.class_id.tolist() == [0]


def test_class_ids_follow_the_ontology():
    model = ad.CascadeDetector([("eye", "eye"), ("face", "face")])
    d = model.predict(str(FACE))
    faces = d[d.class_id == 1]
    assert len(faces) == 1 and ad.box_iou(faces.xyxy, FACE_BOX)[0, 0] > 0.7
    assert set(d.class_id.tolist()) <= {0, 1}


def test_nothing_found_on_a_flat_image():
    grey = np.full((480, 640, 3), 128, np.uint8)
    assert len(ad.HOGPeopleDetector({"person": "person"}).predict(grey)) == 0
    assert len(ad.CascadeDetector({"face": "face"}).predict(grey)) == 0


def test_registry_and_class_build_the_same_model():
    by_name = ad.create_base_model("cascade", {"ontology": {"face": "face"}, "min_neighbors": 5})
    by_class = ad.CascadeDetector({"face": "face"}, min_neighbors=5)
    assert by_name.predict(str(FACE)) == by_class.predict(str(FACE))
    assert {"hog_people", "cascade"} <= set(ad.list_models())
    assert "face" in ad.model_info("cascade")["supported_prompts"]


def test_a_cpp_model_runs_through_cpp_batches():
    model = ad.CascadeDetector({"face": "face"})
    image = ad.load_image(FACE)
    results = ad._core._predict_through_cpp(model, [image, np.ascontiguousarray(image[:, ::-1])])
    assert len(results) == 2 and all(len(r) == 1 for r in results)
    mirrored = results[1].xyxy[0]
    assert abs((512 - mirrored[2]) - results[0].xyxy[0, 0]) < 12  # the face found again, mirrored


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: ad.HOGPeopleDetector({"cat": "cat"}), "supported prompts"),
        (lambda: ad.CascadeDetector({"unicorn": "unicorn"}), "unicorn"),
        (lambda: ad.HOGPeopleDetector({"person": "person"}, confidense=0.3), "unknown option(s) confidense"),
        (lambda: ad.HOGPeopleDetector({"person": "person"}, scale=0.9), "scale"),
        (lambda: ad.HOGPeopleDetector({}), "ontology is empty"),
    ],
)
def test_bad_options_are_value_errors(build, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build()


def test_missing_cascade_folder_is_an_os_error(tmp_path):
    with pytest.raises(OSError, match=str(tmp_path)):
        ad.CascadeDetector({"face": "face"}, cascade_dir=str(tmp_path))


def test_bad_images_are_value_errors():
    model = ad.CascadeDetector({"face": "face"})
    with pytest.raises(ValueError, match="uint8"):
        model.predict(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(OSError, match="nope.jpg"):
        model.predict("nope.jpg")
