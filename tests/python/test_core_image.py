import gc
from pathlib import Path

import cv2
import numpy as np
import pytest

import autodistill_cpp as ad
from conftest import test_image


def test_load_image_shares_pixels_with_the_cpp_mat(tmp_path):
    img = test_image()
    path = tmp_path / "a.png"
    cv2.imwrite(str(path), img)
    out = ad.load_image(path)  # os.PathLike
    assert out.dtype == np.uint8 and out.shape == img.shape and out.flags.c_contiguous
    np.testing.assert_array_equal(out, img)
    assert not out.flags.owndata and out.base is not None  # a capsule owning the cv::Mat, no copy
    assert out.flags.writeable
    out[0, 0] = (1, 2, 3)
    np.testing.assert_array_equal(out[0, 0], [1, 2, 3])
    view = out[10:20]
    del out
    gc.collect()
    np.testing.assert_array_equal(view[0, 1:], img[10, 1:])  # the base keeps the pixels alive
    np.testing.assert_array_equal(ad.load_image(str(path)), img)  # str works too


def test_save_image_round_trip_and_conversions(tmp_path):
    img = test_image()
    ad.save_image(tmp_path / "c.png", img)
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "c.png")), img)

    gray = img[..., 1].copy()
    ad.save_image(tmp_path / "g.png", gray)  # (H, W): replicated to BGR
    np.testing.assert_array_equal(ad.load_image(tmp_path / "g.png"), np.repeat(gray[..., None], 3, axis=2))

    bgra = np.concatenate([img, np.full(img.shape[:2] + (1,), 7, np.uint8)], axis=2)
    ad.save_image(tmp_path / "a.png", bgra)  # (H, W, 4): alpha dropped
    np.testing.assert_array_equal(ad.load_image(tmp_path / "a.png"), img)

    strided = img[:, ::2]  # not C-contiguous: copied
    assert not strided.flags.c_contiguous
    ad.save_image(tmp_path / "s.png", strided)
    np.testing.assert_array_equal(ad.load_image(tmp_path / "s.png"), strided)


@pytest.mark.parametrize("bad, got", [
    (np.zeros((4, 4, 3), np.float64), "got float64 array of shape (4, 4, 3)"),
    (np.zeros((4, 4, 2), np.uint8), "got uint8 array of shape (4, 4, 2)"),
    (np.zeros((4, 4, 3, 1), np.uint8), "got uint8 array of shape (4, 4, 3, 1)"),
    (np.zeros(12, np.uint8), "got uint8 array of shape (12,)"),
    (np.zeros((0, 4, 3), np.uint8), "got uint8 array of shape (0, 4, 3)"),
    (np.zeros((4, 4, 3), np.uint16), "got uint16 array of shape (4, 4, 3)"),
    (np.zeros((4, 4, 3), bool), "got bool array of shape (4, 4, 3)"),
])
def test_bad_images_are_value_errors(tmp_path, bad, got):
    with pytest.raises(ValueError) as e:
        ad.save_image(tmp_path / "x.png", bad)
    assert "expected an image as a uint8 array of shape (H, W, 3) in BGR order, " + got in str(e.value)
    with pytest.raises(ValueError, match="expected an image"):
        ad.letterbox(bad, 32, 32)


def test_load_image_errors_name_the_file(tmp_path):
    missing = tmp_path / "missing.jpg"
    with pytest.raises(OSError, match="missing.jpg"):
        ad.load_image(missing)

    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(OSError, match="empty.png"):
        ad.load_image(empty)

    ok, jpg = cv2.imencode(".jpg", test_image(64, 64))
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(jpg.tobytes()[: len(jpg) // 2])
    with pytest.raises(OSError, match="truncated.jpg"):
        ad.load_image(truncated)

    ok, png = cv2.imencode(".png", test_image(64, 64))
    cut_png = tmp_path / "cut.png"
    cut_png.write_bytes(png.tobytes()[:40])
    with pytest.raises(OSError, match="cut.png"):
        ad.load_image(cut_png)

    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    with pytest.raises(OSError, match="notes.png"):
        ad.load_image(text)


def test_png_16_bit_is_scaled_to_8_bit(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 32).astype(np.uint16), (8, 1))
    img16 = np.stack([ramp, ramp, 65535 - ramp], axis=2)
    cv2.imwrite(str(tmp_path / "deep.png"), img16)
    out = ad.load_image(tmp_path / "deep.png")
    assert out.dtype == np.uint8 and out.shape == (8, 32, 3)
    np.testing.assert_allclose(out.astype(float), img16 / 257.0, atol=1.0)


def test_decode_image_bytes():
    img = test_image()
    ok, png = cv2.imencode(".png", img)
    np.testing.assert_array_equal(ad.decode_image(png.tobytes()), img)
    with pytest.raises(OSError, match="blob"):
        ad.decode_image(b"garbage", "blob")


def test_letterbox_and_transform():
    img = test_image(50, 100)
    canvas, t = ad.letterbox(img, 64, 64)
    assert canvas.shape == (64, 64, 3) and canvas.dtype == np.uint8
    assert t.width == 64 and t.height == 64 and t.scale == pytest.approx(0.64)
    assert t.pad_left == 0 and t.pad_top == 16
    assert (canvas[:16] == 114).all() and (canvas[-16:] == 114).all()
    boxes = np.array([[0, 0, 100, 50], [10, 20, 30, 40]], np.float32)
    on_canvas = t.to_canvas(boxes)
    np.testing.assert_allclose(on_canvas[0], [0, 16, 64, 48], atol=1e-4)
    np.testing.assert_allclose(t.to_source(on_canvas), boxes, atol=1e-4)
    small, t2 = ad.letterbox(test_image(10, 20), 64, 64, pad_value=0, allow_upscale=False)
    assert t2.scale == 1.0 and (small[0] == 0).all()
    with pytest.raises(ValueError, match="pad_value"):
        ad.letterbox(img, 64, 64, pad_value=300)
