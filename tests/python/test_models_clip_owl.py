"""CLIP, OWL-ViT and OWLv2 from Python: parity with transformers 4.43.4 on the shipped fixtures."""
import json
import pathlib

import numpy as np
import pytest

import autodistill_cpp as ad

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
LOWEST = np.finfo(np.float32).min


@pytest.mark.parametrize("cls,name", [(ad.CLIP, "clip"), (ad.OWLViT, "owlvit"), (ad.OWLv2, "owlv2")])
def test_forward_raw_parity(cls, name):
    model = cls.from_pretrained(FIXTURES / name)
    expected = ad.load_safetensors(FIXTURES / name / "outputs.safetensors")
    got = model.forward_raw(ad.load_safetensors(FIXTURES / name / "inputs.safetensors"))
    assert sorted(got) == sorted(expected)
    for key, ref in expected.items():
        keep = ref != LOWEST  # padded queries: finfo.min, compared exactly below
        assert got[key].shape == ref.shape, key
        assert np.allclose(got[key][keep], ref[keep], atol=1e-4, rtol=1e-4), key
        assert np.array_equal(got[key][~keep], ref[~keep]), key


def test_from_pretrained_is_the_constructor_with_weights():
    a = ad.OWLViT.from_pretrained(FIXTURES / "owlvit", {"a cat": "cat"}, box_threshold=0.0, nms_iou=1.0)
    b = ad.OWLViT({"a cat": "cat"}, weights=str(FIXTURES / "owlvit"), device="cpu", box_threshold=0.0, nms_iou=1.0)
    img = (np.arange(60 * 80 * 3) % 251).astype(np.uint8).reshape(60, 80, 3)
    da, db = a.predict(img), b.predict(img)
    assert len(da) == len(db) == 9
    assert np.allclose(da.confidence, db.confidence)
    assert ad.OWLv2.from_pretrained(FIXTURES / "owlv2").ontology.classes() == ["object"]


def test_clip_embeddings_and_predict():
    model = ad.CLIP.from_pretrained(FIXTURES / "clip", {"a photo of a cat": "cat", "a dog": "dog"})
    img = np.full((30, 40, 3), 128, np.uint8)
    e = model.embed_image([img, img])
    assert e.shape == (2, 24) and e.dtype == np.float32
    assert np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    t = model.embed_text(["a dog", "a photo of a cat"])
    assert t.shape == (2, 24)
    d = model.predict(img)
    assert len(d) == 1 and list(d.xyxy[0]) == [0, 0, 40, 40 * 0 + 30]
    assert d.class_id[0] in (0, 1)


def test_unknown_option_and_bad_input_names():
    with pytest.raises(ValueError, match="box_treshold"):
        ad.OWLViT.from_pretrained(FIXTURES / "owlvit", box_treshold=0.2)
    model = ad.OWLv2.from_pretrained(FIXTURES / "owlv2")
    with pytest.raises(ValueError, match="pixel_valuez"):
        model.forward_raw({"pixel_valuez": np.zeros((1, 3, 64, 64), np.float32)})


@pytest.mark.parametrize("cls, name", [(ad.OWLViT, "owlvit"), (ad.OWLv2, "owlv2")])
def test_label_end_to_end_on_the_fixture_checkpoint(tmp_path, cls, name):
    # Random weights: this checks the plumbing (model -> pipeline -> dataset on disk), not accuracy.
    images = tmp_path / "images"
    images.mkdir()
    photo = ad.load_image(FIXTURES / "images" / "face.jpg")
    ad.save_image(images / "a.jpg", photo)
    ad.save_image(images / "b.png", np.ascontiguousarray(photo[:300, :400]))  # non-square
    model = cls.from_pretrained(FIXTURES / name, ontology={"a photo of a face": "face"}, box_threshold=0.0)
    dataset = model.label(images, tmp_path / "out", workers=1, batch_size=2, progress=False)
    assert dataset.classes == ["face"]
    assert len(dataset) == 2
    assert (tmp_path / "out" / "data.yaml").exists()
    coco = json.loads((tmp_path / "out" / "annotations.coco.json").read_text())
    assert len(coco["images"]) == 2
    for image in dataset.images:
        d = image.detections
        assert len(d) > 0
        assert (d.xyxy[:, [0, 2]] >= 0).all() and (d.xyxy[:, [0, 2]] <= image.width).all()
        assert (d.xyxy[:, [1, 3]] >= 0).all() and (d.xyxy[:, [1, 3]] <= image.height).all()
