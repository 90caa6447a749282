import json
import pickle

import pytest

import autodistill_cpp as ad

MAPPING = {"person": "human", "car": "vehicle", "man": "human", "truck": "vehicle", "dog": "animal"}


def test_class_ids_follow_first_appearance():
    o = ad.CaptionOntology(MAPPING)
    assert o.prompts() == list(MAPPING)
    assert o.classes() == ["human", "vehicle", "animal"]
    assert o.prompt_class_ids() == [0, 1, 0, 1, 2]
    assert o.prompt_to_class() == MAPPING and list(o.prompt_to_class()) == list(MAPPING)
    assert o.class_to_prompts() == {"human": ["person", "man"], "vehicle": ["car", "truck"], "animal": ["dog"]}
    assert list(o.class_to_prompts()) == ["human", "vehicle", "animal"]
    assert o.class_id("vehicle") == 1 and o.class_id("plane") == -1
    assert o.class_for_prompt("truck") == "vehicle"
    assert len(o) == 5


def test_pairs_and_dict_agree():
    assert ad.CaptionOntology(list(MAPPING.items())) == ad.CaptionOntology(MAPPING)
    assert ad.CaptionOntology([["a", "b"]]) == ad.CaptionOntology({"a": "b"})
    assert ad.CaptionOntology({"a": "b"}) != ad.CaptionOntology({"b": "a"})


def test_json_round_trip(tmp_path):
    o = ad.CaptionOntology(MAPPING)
    assert json.loads(o.to_json()) == MAPPING
    assert ad.CaptionOntology.from_json(o.to_json()) == o
    assert ad.CaptionOntology.from_json('[["x", "y"], ["z", "y"]]').classes() == ["y"]
    assert ad.CaptionOntology.from_json('[{"prompt": "x", "class": "y"}]').prompts() == ["x"]
    path = tmp_path / "sub" / "ontology.json"
    o.save(path)
    assert ad.CaptionOntology.load(path) == o
    assert ad.CaptionOntology.load(str(path)) == o
    assert pickle.loads(pickle.dumps(o)) == o


@pytest.mark.parametrize("bad", [
    {1: "a"}, {"a": 2}, {"a": None}, [("a",)], [("a", "b", "c")], "person", 5, {}, {"": "x"}, {"a": "  "},
    [("a", "x"), ("a", "y")],
])
def test_bad_ontologies_are_value_errors(bad):
    with pytest.raises(ValueError):
        ad.CaptionOntology(bad)


def test_bad_json_and_files(tmp_path):
    with pytest.raises(ValueError):
        ad.CaptionOntology.from_json("{not json")
    with pytest.raises(ValueError):
        ad.CaptionOntology.from_json('{"a": 1}')
    with pytest.raises(OSError, match="nope.json"):
        ad.CaptionOntology.load(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="bad.json"):
        ad.CaptionOntology.load(bad)


def test_repr_and_unhashable():
    o = ad.CaptionOntology({"a": "b"})
    assert repr(o) == "CaptionOntology({'a': 'b'})"
    with pytest.raises(TypeError):
        hash(o)
