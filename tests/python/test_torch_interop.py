"""torch and autodistill_cpp in one process: fresh interpreters, both import orders."""

import autodistill_cpp as ad


def test_torch_then_autodistill(python_run):
    r = python_run("""
        import torch
        import autodistill_cpp as ad
        t = torch.arange(6.0).reshape(2, 3)
        d = ad.Detections([[0, 0, 2, 2]])
        print(float(t.sum()), len(d), ad.build_info()["libtorch_version"])
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["15.0", "1", ad.build_info()["libtorch_version"]]


def test_autodistill_then_torch(python_run):
    r = python_run("""
        import autodistill_cpp as ad
        import numpy as np
        import torch, torchvision.ops
        boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10]], np.float32)
        scores = np.array([0.9, 0.8], np.float32)
        a = ad.nms(boxes, scores, 0.5).tolist()
        b = torchvision.ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), 0.5).tolist()
        print(a == b == [0])
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"


def test_mismatched_torch_is_a_clear_import_error(python_run):
    r = python_run("""
        import sys, types
        fake = types.ModuleType("torch")
        fake.__version__ = "2.1.0+cu121"
        fake._C = types.SimpleNamespace(_GLIBCXX_USE_CXX11_ABI=False)
        sys.modules["torch"] = fake
        try:
            import autodistill_cpp
        except ImportError as e:
            print("IMPORT-ERROR", e)
        else:
            print("imported")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("IMPORT-ERROR autodistill_cpp was built against LibTorch 1.13")
    assert "the imported torch is 2.1.0+cu121 (ABI 0)" in r.stdout


def test_mismatch_rule():
    from autodistill_cpp import _build_config

    ours = _build_config.LIBTORCH_VERSION
    abi = bool(_build_config.CXX11_ABI)
    assert ad._torch_mismatch(ours + "a0", abi) is None
    assert ad._torch_mismatch(ours, None) is None
    assert ad._torch_mismatch(ours, not abi) is not None
    assert ad._torch_mismatch("9.9.0", abi) is not None


def test_build_info_matches_build_config():
    from autodistill_cpp import _build_config

    info = ad.build_info()
    assert set(info) == {"version", "libtorch_version", "opencv_version", "blas", "cuda_compiled", "cuda_available",
                         "cuda_device_count", "num_threads", "cxx11_abi", "compiler"}
    assert info["version"] == ad.__version__ == _build_config.VERSION
    assert info["cxx11_abi"] == _build_config.CXX11_ABI
    assert info["libtorch_version"].split(".")[:2] == _build_config.LIBTORCH_VERSION.split(".")[:2]
    assert info["num_threads"] >= 1 and ad.available_cpus() >= 1
