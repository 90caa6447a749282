"""safetensors from Python: round trip, fixture parity and errors (bindings/bind_io.cpp)."""
import json
import pathlib
import struct

import numpy as np
import pytest

import autodistill_cpp as ad

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"

DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
    path = tmp_path / "x.safetensors"
    ad.save_safetensors(str(path), {"a": a, "b": np.zeros((0, 2), dtype)}, metadata={"format": "np"})
    back = ad.load_safetensors(str(path))
    assert list(back) == ["a", "b"] or set(back) == {"a", "b"}
    assert back["a"].dtype == a.dtype
    np.testing.assert_array_equal(back["a"], a)
    assert back["b"].shape == (0, 2)
    assert ad.load_safetensors_metadata(str(path)) == {"format": "np"}


def test_non_contiguous_input(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4).T
    ad.save_safetensors(str(tmp_path / "t.safetensors"), {"t": a})
    np.testing.assert_array_equal(ad.load_safetensors(str(tmp_path / "t.safetensors"))["t"], a)


def test_bf16_becomes_float32(tmp_path):
    values = np.array([1.0, -2.5, 3.140625], dtype=np.float32)
    bf16 = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    header = json.dumps({"x": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bf16)
    x = ad.load_safetensors(str(path))["x"]
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x, values)


def test_fixture_matches_manifest():
    weights = ad.load_safetensors(str(FIXTURES / "clip" / "model.safetensors"))
    manifest = json.loads((FIXTURES / "clip" / "manifest.json").read_text())
    assert sorted(weights) == manifest["weights"]["names"]


def test_resave_is_byte_identical(tmp_path):
    src = FIXTURES / "clip" / "model.safetensors"
    out = tmp_path / "copy.safetensors"
    ad.save_safetensors(str(out), ad.load_safetensors(str(src)), ad.load_safetensors_metadata(str(src)))
    assert out.read_bytes() == src.read_bytes()


def test_malformed_file_raises_oserror_naming_it(tmp_path):
    path = tmp_path / "bad.safetensors"
    header = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}'
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"xxxx")
    with pytest.raises(OSError, match="bad.safetensors.*tensor 'a'"):
        ad.load_safetensors(str(path))


def test_unsupported_numpy_dtype(tmp_path):
    with pytest.raises(ValueError):
        ad.save_safetensors(str(tmp_path / "c.safetensors"), {"c": np.zeros(2, np.complex64)})
