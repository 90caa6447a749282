import copy
import gc

import numpy as np
import pytest

import autodistill_cpp as ad

BOXES = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 70]], dtype=np.float64)


def make(**kw):
    args = dict(xyxy=BOXES, confidence=[0.9, 0.8, 0.7], class_id=[0, 0, 1])
    args.update(kw)
    return ad.Detections(**args)


def test_construction_converts_dtypes():
    d = ad.Detections(BOXES.astype(np.int32), confidence=np.array([1, 0, 1], np.uint8),
                      class_id=np.array([2.0, 1.0, 0.0]))
    assert d.xyxy.dtype == np.float32 and d.xyxy.shape == (3, 4)
    assert d.confidence.dtype == np.float32 and d.class_id.dtype == np.int64
    np.testing.assert_array_equal(d.xyxy, BOXES)
    np.testing.assert_array_equal(d.class_id, [2, 1, 0])
    assert len(d) == 3 and d.mask is None and d.data == {}


def test_defaults_confidence_one_class_zero():
    d = ad.Detections(BOXES)
    np.testing.assert_array_equal(d.confidence, np.ones(3, np.float32))
    np.testing.assert_array_equal(d.class_id, np.zeros(3, np.int64))


@pytest.mark.parametrize("kwargs, message", [
    (dict(xyxy=np.zeros((3, 5))), "xyxy must be (N, 4), got (3, 5)"),
    (dict(xyxy=np.zeros(4)), "xyxy must be (N, 4), got (4,)"),
    (dict(xyxy=np.array([["a", "b", "c", "d"]])), "xyxy must be a numeric array"),
    (dict(confidence=[0.5, 0.5]), "confidence must be (3,) (N from xyxy), got (2,)"),
    (dict(class_id=np.zeros((3, 1))), "class_id must be (3,) (N from xyxy), got (3, 1)"),
    (dict(mask=np.zeros((2, 4, 4))), "mask must be (3, H, W) (N from xyxy), got (2, 4, 4)"),
    (dict(data={"name": ["a", "b"]}), "data column 'name' has 2 entries, expected 3"),
    (dict(data={"x": np.zeros((3, 2))}), "data['x'] must be one-dimensional"),
])
def test_bad_shapes_are_value_errors(kwargs, message):
    with pytest.raises(ValueError) as e:
        make(**kwargs)
    assert message in str(e.value)


def test_properties_are_writable_views_of_the_storage():
    d = make()
    a, b = d.xyxy, d.xyxy
    assert np.shares_memory(a, b) and a.flags.writeable and not a.flags.owndata
    a[0, 0] = 5
    d.confidence[1] = 0.25
    d.class_id[2] = 7
    assert d.xyxy[0, 0] == 5 and d.confidence[1] == np.float32(0.25) and d.class_id[2] == 7


def test_view_keeps_detections_alive():
    d = make()
    boxes, scores = d.xyxy, d.confidence
    del d
    gc.collect()
    _ = [np.ones(1000) for _ in range(100)]  # churn the allocator
    np.testing.assert_array_equal(boxes, BOXES)
    np.testing.assert_allclose(scores, [0.9, 0.8, 0.7], rtol=1e-6)


def test_setters_copy_into_the_same_storage():
    d = make()
    view = d.xyxy
    d.xyxy = np.zeros((3, 4))
    assert view.sum() == 0  # the old view sees the new values: same buffer
    d.confidence = [0.1, 0.2, 0.3]
    np.testing.assert_allclose(d.confidence, [0.1, 0.2, 0.3], rtol=1e-6)
    with pytest.raises(ValueError, match="keep the shape"):
        d.xyxy = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"confidence must be \(3,\)"):
        d.confidence = [1.0]


def test_empty():
    e = ad.Detections.empty()
    assert len(e) == 0 and e.is_empty()
    assert e.xyxy.shape == (0, 4) and e.confidence.shape == (0,) and e.class_id.dtype == np.int64
    assert len(ad.Detections(np.zeros((0, 4)))) == 0
    assert len(ad.Detections([])) == 0


@pytest.mark.parametrize("key, expected_rows", [
    (0, [0]), (-1, [2]), (slice(1, None), [1, 2]), (slice(None, None, -1), [2, 1, 0]),
    (np.array([True, False, True]), [0, 2]), ([2, 0, 0], [2, 0, 0]), (np.array([1], np.int32), [1]),
    ([], []), (np.array([-1, -3]), [2, 0]),
])
def test_indexing(key, expected_rows):
    d = make(data={"name": ["a", "b", "c"], "score2": [1.5, 2.5, 3.5]})
    s = d[key]
    assert isinstance(s, ad.Detections)
    np.testing.assert_array_equal(s.xyxy, BOXES[expected_rows])
    np.testing.assert_array_equal(s.class_id, np.array([0, 0, 1])[expected_rows])
    assert s["name"] == [["a", "b", "c"][i] for i in expected_rows]
    np.testing.assert_array_equal(s["score2"], np.array([1.5, 2.5, 3.5])[expected_rows])


@pytest.mark.parametrize("key, error", [
    (3, IndexError), (-4, IndexError), (np.array([True, False]), IndexError), ([0, 5], IndexError),
    (np.array([[0]]), IndexError), (np.array([0.5]), IndexError), ("missing", KeyError),
])
def test_bad_indexing(key, error):
    with pytest.raises(error):
        make()[key]


def test_data_columns_kinds():
    d = make(data={"f": np.array([1.0, 2.0, 3.0], np.float32), "i": np.array([1, 2, 3], np.int16),
                   "s": np.array(["x", "y", "z"]), "b": [True, False, True]})
    assert d.data["f"].dtype == np.float64 and d.data["i"].dtype == np.int64
    assert d.data["s"] == ["x", "y", "z"]
    np.testing.assert_array_equal(d.data["b"], [1, 0, 1])
    d["new"] = [7, 8, 9]
    np.testing.assert_array_equal(d["new"], [7, 8, 9])
    with pytest.raises(ValueError, match="expected 3"):
        d["bad"] = [1]
    with pytest.raises(ValueError, match="numbers or str"):
        d["obj"] = [object(), object(), object()]


def test_mask_view_and_area():
    mask = np.zeros((3, 20, 30), dtype=np.uint8)
    mask[0, :2, :3] = 255
    mask[2, 5:10, 5:10] = 1
    d = make(mask=mask)
    assert d.mask.dtype == np.bool_ and d.mask.shape == (3, 20, 30)
    np.testing.assert_array_equal(d.area, [6, 0, 25])
    np.testing.assert_array_equal(d.box_area, [100, 100, 200])
    d.mask[1, 0, 0] = True  # a writable view
    np.testing.assert_array_equal(d.area, [6, 1, 25])
    np.testing.assert_array_equal(d[[2]].mask[0], mask[2] != 0)


def test_merge():
    a, b = make(), make(class_id=[3, 3, 3])
    m = ad.Detections.merge([a, ad.Detections.empty(), b])
    assert len(m) == 6
    np.testing.assert_array_equal(m.class_id, [0, 0, 1, 3, 3, 3])
    np.testing.assert_array_equal(m[3:].xyxy, b.xyxy)
    with pytest.raises(ValueError):
        ad.Detections.merge([make(mask=np.zeros((3, 4, 4))), make()])


def test_with_nms_class_aware_and_agnostic():
    d = make()
    kept = d.with_nms(iou=0.5)
    np.testing.assert_array_equal(kept.xyxy, BOXES[[0, 2]])  # box 1 overlaps box 0 (IoU 0.68)
    d2 = make(class_id=[0, 1, 2])
    assert len(d2.with_nms(0.5)) == 3
    assert len(d2.with_nms(0.5, class_agnostic=True)) == 2
    assert len(d.with_nms(0.7)) == 3


def test_eq_copy_repr():
    a = make(data={"s": ["a", "b", "c"]})
    assert a == make(data={"s": ["a", "b", "c"]})
    assert a != make(data={"s": ["a", "b", "x"]})
    assert a != make(class_id=[0, 0, 2])
    assert a != a[:2]
    assert make(mask=np.zeros((3, 2, 2))) != make()
    c = copy.deepcopy(a)
    assert c == a
    c.xyxy[0, 0] = 99
    assert c != a  # a deep copy owns its storage
    r = repr(a)
    assert r.startswith("Detections(n=3") and "0.9" in r and "'s'" in r
