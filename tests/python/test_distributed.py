"""Labelling sharded over a Dask LocalCluster (2 worker processes) equals a single run, byte for byte."""

import functools
from pathlib import Path

import numpy as np
import pytest

import autodistill_cpp as ad

distributed = pytest.importorskip("distributed", reason="Debian's python3-distributed is not installed")
from autodistill_cpp.distributed import label_with_dask  # noqa: E402

FACE = Path(__file__).resolve().parents[1] / "fixtures" / "images" / "face.jpg"


def make_folder(root: Path) -> Path:
    photo = ad.load_image(FACE)
    images = root / "images"
    (images / "sub").mkdir(parents=True)
    variants = [photo, photo[:, ::-1], photo[::2, ::2], photo[100:, 50:], np.rot90(photo), photo[:, :, ::-1]]
    for i, image in enumerate(variants):
        folder = images / "sub" if i % 2 else images
        ad.save_image(folder / f"img{i}.jpg", np.ascontiguousarray(image))
    return images


def output_files(folder: Path) -> dict:
    # Everything a user reads; the run journal records timings, so it is left out.
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".autodistill" not in p.parts and ".shards" not in p.parts}


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


def test_dask_shards_merge_into_the_single_run_dataset(tmp_path, client):
    images = make_folder(tmp_path)
    factory = functools.partial(ad.CascadeDetector, {"face": "face"})
    merged = label_with_dask(factory, images, tmp_path / "dask", client, shards=3, seed=7)
    single = factory().label(images, tmp_path / "single", seed=7, progress=False)

    assert len(merged) == len(single) == 6
    assert merged.classes == single.classes == ["face"]
    assert sum(len(i.detections) for i in merged.images) >= 4  # the face is found in most variants
    dask_files, single_files = output_files(tmp_path / "dask"), output_files(tmp_path / "single")
    assert not (tmp_path / "dask" / ".shards").exists()
    assert dask_files.keys() == single_files.keys()
    for name in single_files:
        assert dask_files[name] == single_files[name], name


def test_dask_rejects_options_it_sets_itself(tmp_path, client):
    with pytest.raises(ValueError, match="shard"):
        label_with_dask(functools.partial(ad.CascadeDetector, {"face": "face"}), tmp_path, tmp_path / "o", client,
                        shard=(0, 2))
