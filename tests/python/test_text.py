"""Tokenizer parity from Python against the transformers-generated fixtures (bindings/bind_text.cpp)."""
import json
import os
import pathlib

import numpy as np
import pytest

import autodistill_cpp as ad

ROOT = pathlib.Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SHARED = pathlib.Path(os.environ.get("AUTODISTILL_SHARED_DIR", ROOT.parents[1] / "shared"))


def clip_folders():
    folders = [FIXTURES / "clip_tokenizer"]
    real = SHARED / "fixtures" / "clip_tokenizer_real"
    folders.append(pytest.param(real, marks=pytest.mark.skipif(
        not (real / "cases.json").exists(), reason=f"{real / 'cases.json'} is absent")))
    return folders


@pytest.mark.parametrize("folder", clip_folders())
def test_clip_cases(folder):
    doc = json.loads((folder / "cases.json").read_text())
    clip = ad.CLIPTokenizer(str(folder))
    owl = ad.CLIPTokenizer(str(folder), pad_token="!")
    for case in doc["cases"]:
        text = case["text"]
        assert clip.tokenize(text) == case["tokens"], text
        ids, mask = clip.encode(text, max_length=0, padding="do_not_pad", truncation=False)
        assert ids.tolist() == case["input_ids"], text
        ids, mask = clip.encode(text)
        assert ids.dtype == np.int64
        assert ids.tolist() == case["clip_max77"]["input_ids"], text
        assert mask.tolist() == case["clip_max77"]["attention_mask"], text
        ids, mask = owl.encode(text, max_length=16)
        assert ids.tolist() == case["owlvit_max16"]["input_ids"], text
        assert mask.tolist() == case["owlvit_max16"]["attention_mask"], text


def test_clip_batch_shapes():
    clip = ad.CLIPTokenizer(str(FIXTURES / "clip_tokenizer"))
    ids, mask = clip.encode_batch(["a photo of a cat", "a dog"], max_length=16)
    assert ids.shape == (2, 16) and mask.shape == (2, 16)
    ids, mask = clip.encode_batch(["a photo of a cat", "a dog"], padding="longest")
    assert ids.shape == (2, 7)
    with pytest.raises(ValueError):
        clip.encode_batch(["a photo of a cat", "a dog"], padding="do_not_pad")
    assert clip.decode(ids[0].tolist(), skip_special_tokens=True) == "a photo of a cat"


def test_bert_cases():
    folder = FIXTURES / "bert_tokenizer"
    doc = json.loads((folder / "cases.json").read_text())
    bert = ad.BertTokenizer(str(folder))
    for case in doc["cases"]:
        text = case["text"]
        assert bert.tokenize(text) == case["tokens"], case["text_escaped"]
        enc = bert.encode(text)
        assert enc["input_ids"].tolist() == case["input_ids"], case["text_escaped"]
        assert enc["token_type_ids"].tolist() == case["token_type_ids"]
        assert enc["attention_mask"].tolist() == case["attention_mask"]
        assert bert.decode(case["input_ids"]) == case["decoded"]
    for batch in doc["batches"]:
        enc = bert.encode(batch["texts"], padding="longest")
        for key in ("input_ids", "attention_mask", "token_type_ids"):
            assert enc[key].tolist() == batch["padding_longest"][key]
        enc = bert.encode(batch["texts"], max_length=8, padding="max_length", truncation=True)
        for key in ("input_ids", "attention_mask"):
            assert enc[key].tolist() == batch["max_length_8_truncation"][key]


def test_missing_folder_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        ad.CLIPTokenizer(str(tmp_path / "nope"))
    with pytest.raises(OSError):
        ad.BertTokenizer(str(tmp_path / "nope"))
