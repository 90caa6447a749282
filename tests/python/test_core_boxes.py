import numpy as np
import pytest
import torch
import torchvision.ops

import autodistill_cpp as ad
from conftest import random_boxes


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("iou", [0.0, 0.3, 0.5, 0.7, 1.0])
def test_nms_matches_torchvision(seed, iou):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    boxes = random_boxes(rng, n)
    scores = rng.random(n).astype(np.float32)
    keep = ad.nms(boxes, scores, iou)
    expected = torchvision.ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), iou).numpy()
    assert keep.dtype == np.int64
    np.testing.assert_array_equal(keep, expected)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("iou", [0.2, 0.5, 0.8])
def test_batched_nms_matches_torchvision(seed, iou):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 300))
    boxes = random_boxes(rng, n)
    scores = rng.random(n).astype(np.float32)
    classes = rng.integers(0, 4, n)
    keep = ad.batched_nms(boxes, scores, classes, iou)
    expected = torchvision.ops.batched_nms(torch.from_numpy(boxes), torch.from_numpy(scores),
                                           torch.from_numpy(classes), iou).numpy()
    np.testing.assert_array_equal(keep, expected)


def test_nms_accepts_float64_and_lists():
    boxes = [[0, 0, 10, 10], [0, 0, 10, 9], [20, 20, 30, 30]]
    np.testing.assert_array_equal(ad.nms(np.array(boxes, np.float64), np.array([0.5, 0.9, 0.1]), 0.5), [1, 2])
    np.testing.assert_array_equal(ad.nms(boxes, [0.5, 0.9, 0.1], 0.5), [1, 2])
    assert ad.nms(np.zeros((0, 4)), np.zeros(0), 0.5).shape == (0,)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_box_iou_matches_torchvision(seed):
    rng = np.random.default_rng(seed)
    a, b = random_boxes(rng, 17), random_boxes(rng, 9).astype(np.float64)
    iou = ad.box_iou(a, b)
    assert iou.shape == (17, 9) and iou.dtype == np.float32 and iou.flags.c_contiguous
    expected = torchvision.ops.box_iou(torch.from_numpy(a), torch.from_numpy(b).float()).numpy()
    np.testing.assert_allclose(iou, expected, rtol=1e-5, atol=1e-6)


def test_box_area_and_clip():
    boxes = np.array([[0, 0, 10, 5], [5, 5, 2, 2], [-5, -5, 200, 50]])
    np.testing.assert_array_equal(ad.box_area(boxes), [50, 0, 205 * 55])
    np.testing.assert_array_equal(ad.box_clip(boxes, 100, 40), [[0, 0, 10, 5], [5, 5, 2, 2], [0, 0, 100, 40]])
    np.testing.assert_array_equal(ad.box_scale(boxes[:1], 2, 3), [[0, 0, 20, 15]])


def test_format_conversions_round_trip():
    xyxy = np.array([[10, 20, 40, 80], [0, 0, 1, 1]], np.float32)
    np.testing.assert_array_equal(ad.xyxy_to_xywh(xyxy), [[10, 20, 30, 60], [0, 0, 1, 1]])
    np.testing.assert_array_equal(ad.xyxy_to_cxcywh(xyxy), [[25, 50, 30, 60], [0.5, 0.5, 1, 1]])
    np.testing.assert_array_equal(ad.xywh_to_xyxy(ad.xyxy_to_xywh(xyxy)), xyxy)
    np.testing.assert_array_equal(ad.cxcywh_to_xyxy(ad.xyxy_to_cxcywh(xyxy)), xyxy)


@pytest.mark.parametrize("call, message", [
    (lambda: ad.box_area(np.zeros((3, 5))), r"xyxy must be \(N, 4\), got \(3, 5\)"),
    (lambda: ad.box_iou(np.zeros((2, 4)), np.zeros(4)), r"b must be \(N, 4\), got \(4,\)"),
    (lambda: ad.nms(np.zeros((2, 4)), np.zeros(3), 0.5), r"scores must be \(2,\) \(N from boxes\), got \(3,\)"),
    (lambda: ad.batched_nms(np.zeros((2, 4)), np.zeros(2), np.zeros(1), 0.5), r"class_ids must be \(2,\)"),
    (lambda: ad.xyxy_to_xywh([["a", "b", "c", "d"]]), "boxes must be a numeric array"),
])
def test_bad_input_is_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
