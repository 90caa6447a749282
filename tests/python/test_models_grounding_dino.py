"""Grounding DINO from Python: parity with transformers 4.43.4 on the shipped random-weight fixture."""
import json
import pathlib

import numpy as np
import pytest

import autodistill_cpp as ad

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
GD = FIXTURES / "grounding_dino"


def test_forward_raw_parity():
    model = ad.GroundingDINO.from_pretrained(GD, deform_attn="grid_sample")
    expected = ad.load_safetensors(GD / "outputs.safetensors")
    got = model.forward_raw(ad.load_safetensors(GD / "inputs.safetensors"), debug=True)
    compared = 0
    for key, ref in expected.items():
        if key.startswith("single"):
            continue
        assert got[key].shape == ref.shape, key
        if ref.dtype == np.bool_ or ref.dtype == np.int64:
            assert np.array_equal(got[key], ref), key
        else:
            fin = np.isfinite(ref)
            assert np.array_equal(np.isfinite(got[key]), fin), key
            atol = 1e-3 if key in ("logits", "enc_outputs_class") else 1e-4
            assert np.allclose(got[key][fin], ref[fin], atol=atol, rtol=1e-4), key
        compared += 1
    assert compared == 33


def test_captions_join_the_prompts_and_label_maps_to_classes():
    model = ad.GroundingDINO.from_pretrained(GD, {"a cat": "cat", "the sofa": "sofa"}, box_threshold=0.0,
                                             text_threshold=0.0)
    assert model.captions() == ["a cat. the sofa."]
    pre = ad.load_safetensors(GD / "preprocess.safetensors")
    bgr = np.ascontiguousarray(pre["image1_u8_hwc"][:, :, ::-1])
    d = model.predict(bgr)
    assert len(d) == 12
    assert set(d.class_id.tolist()) <= {0, 1}
    assert (d.xyxy[:, [0, 2]] <= 150).all() and (d.xyxy[:, [1, 3]] <= 100).all()


def test_unknown_option_is_rejected():
    with pytest.raises(Exception, match="box_treshold"):
        ad.GroundingDINO.from_pretrained(GD, box_treshold=0.2)


def test_label_end_to_end_on_the_fixture_checkpoint(tmp_path):
    # Random weights: this checks the plumbing (model -> pipeline -> dataset on disk), not accuracy.
    images = tmp_path / "images"
    images.mkdir()
    photo = ad.load_image(FIXTURES / "images" / "face.jpg")
    ad.save_image(images / "a.jpg", photo)
    ad.save_image(images / "b.png", np.ascontiguousarray(photo[:300, :400]))
    model = ad.GroundingDINO.from_pretrained(GD, ontology={"a face": "face", "a person": "person"},
                                             box_threshold=0.0, text_threshold=0.0)
    dataset = model.label(images, tmp_path / "out", workers=1, batch_size=2, progress=False)
    assert dataset.classes == ["face", "person"]
    assert len(dataset) == 2
    coco = json.loads((tmp_path / "out" / "annotations.coco.json").read_text())
    assert len(coco["images"]) == 2
    for image in dataset.images:
        d = image.detections
        assert len(d) == 12
        assert (d.xyxy[:, [0, 2]] >= 0).all() and (d.xyxy[:, [0, 2]] <= image.width).all()


def test_bert_tokenizer_on_the_model_vocab():
    text = json.loads((GD / "text.json").read_text())
    tok = ad.BertTokenizer(GD)
    for c in text["per_caption"]:
        assert list(tok.encode(c["caption"])["input_ids"]) == c["input_ids"]
