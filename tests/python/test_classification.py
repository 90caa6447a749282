"""ClassificationBaseModel (Python subclasses), Classifications, ComposedDetectionModel, CLIP.classify."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest

import autodistill_cpp as ad

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class RedOrGreen(ad.ClassificationBaseModel):
    """Mostly red crops are "red" (0.9), mostly green ones "green" (0.8), others "red" at 0.1."""

    def __init__(self):
        super().__init__({"a red thing": "red", "a green thing": "green"})
        self.crops = []

    def name(self):
        return "red_or_green"

    def classify(self, image):
        self.crops.append(image.shape)
        b, g, r = image.reshape(-1, 3).mean(axis=0)
        if r > 200 and g < 50:
            return ad.Classifications([0, 1], [0.9, 0.1])
        if g > 200 and r < 50:
            return ad.Classifications.from_scores([0.2, 0.8])
        return ad.Classifications.from_scores([0.1, 0.05])


class TwoBoxes(ad.BaseModel):
    def __init__(self):
        super().__init__({"object": "object"})

    def name(self):
        return "two_boxes"

    def predict(self, image):
        return ad.Detections([[10, 10, 50, 50], [100, 20, 150, 80], [160, 10, 190, 40]],
                             confidence=[0.8, 0.6, 0.5], class_id=[0, 0, 0])


def scene():
    img = np.full((100, 200, 3), 30, np.uint8)
    img[10:50, 10:50] = (0, 0, 255)
    img[20:80, 100:150] = (0, 255, 0)
    return img


def test_classifications_sorted_and_validated():
    c = ad.Classifications([3, 0, 2], [0.1, 0.5, 0.4])
    assert c.class_id == [0, 2, 3] and c.top() == (0, pytest.approx(0.5))
    assert len(c.top_k(2)) == 2 and c.confidence_of(2) == pytest.approx(0.4) and c.confidence_of(9) == 0
    with pytest.raises(ValueError, match="2 class ids but 1"):
        ad.Classifications([0, 1], [0.5])


def test_composed_model_with_python_detector_and_classifier():
    classifier = RedOrGreen()
    model = ad.ComposedDetectionModel(TwoBoxes(), classifier, min_confidence=0.2)
    gc.collect()  # only C++ holds the two Python models now
    assert model.name() == "two_boxes+red_or_green"
    assert model.ontology.classes() == ["red", "green"]
    d = model.predict(scene())
    assert list(d.class_id) == [0, 1]
    assert np.allclose(d.confidence, [0.9, 0.8])
    assert np.allclose(d.data["detector_confidence"], [0.8, 0.6])
    assert classifier.crops[0] == (40, 40, 3)
    with pytest.raises(TypeError, match="expected a ClassificationBaseModel"):
        ad.ComposedDetectionModel(TwoBoxes(), TwoBoxes())


def test_composed_model_labels_a_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    ad.save_image(str(folder / "a.png"), scene())
    model = ad.ComposedDetectionModel(TwoBoxes(), RedOrGreen(), min_confidence=0.2)
    ds = model.label(folder, tmp_path / "out", progress=False)
    assert ds.classes == ["red", "green"]
    assert sorted(ds.images[0].detections.class_id) == [0, 1]


def test_clip_is_a_classifier_and_composes():
    clip = ad.CLIP.from_pretrained(FIXTURES / "clip", {"a photo of a cat": "cat", "a kitten": "cat", "a dog": "dog"})
    assert isinstance(clip, ad.ClassificationBaseModel) and isinstance(clip, ad.BaseModel)
    img = scene()
    c = clip.classify(img)
    assert len(c) == 2 and sum(c.confidence) == pytest.approx(1.0, abs=1e-5)
    d = clip.predict(img)
    assert d.class_id[0] == c.top()[0]
    composed = ad.ComposedDetectionModel(TwoBoxes(), clip)
    out = composed.predict(img)
    assert len(out) == 3 and set(out.class_id) <= {0, 1}
    per_crop = clip.classify_batch([img[10:50, 10:50], img[20:80, 100:150]])
    assert np.allclose(out.confidence[:2], [p.top()[1] for p in per_crop], atol=1e-5)
