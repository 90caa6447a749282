"""Labelling sharded over a Dask ``distributed`` cluster.

Each task builds its own model (models hold native resources and are not pickled), labels one shard
of the folder into ``<output>/.shards/<i>-of-<n>``, and the shards are merged into ``output`` with
:func:`autodistill_cpp.merge_shards` — the result is the dataset a single run would have written.
A shard that was interrupted resumes when the job is submitted again; the shard folders are removed
once the merge has succeeded.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable, Optional

__all__ = ["label_with_dask"]


def _label_shard(model_factory: Callable[[], Any], input_folder: str, shard_output: str, index: int, count: int,
                 options: dict) -> dict:
    model = model_factory()
    model.label(input_folder, shard_output, shard=(index, count), progress=False, **options)
    return {"shard": index, "output": shard_output}


def label_with_dask(model_factory: Callable[[], Any], input_folder: "os.PathLike[str] | str",
                    output_folder: "os.PathLike[str] | str", client: Any, shards: Optional[int] = None,
                    **label_options: Any):
    """Labels ``input_folder`` into ``output_folder`` with one task per shard on ``client``.

    model_factory: a picklable callable returning a BaseModel (e.g. ``functools.partial(CascadeDetector,
        {"face": "face"})``); it runs on the workers.
    shards: number of shards; defaults to the number of worker threads in the cluster.
    label_options: passed to ``BaseModel.label`` (confidence, nms, split, seed, ...); ``seed`` and
        ``split`` must be the same for every shard, which this function guarantees.
    Returns the merged :class:`autodistill_cpp.DetectionDataset`.
    """
    from . import merge_shards  # late: keeps `import autodistill_cpp` free of dask

    if shards is None:
        shards = max(1, sum(client.nthreads().values()))
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    for forbidden in ("shard", "output_folder", "progress"):
        if forbidden in label_options:
            raise ValueError(f"label_with_dask sets '{forbidden}' itself; do not pass it")
    output = Path(output_folder)
    shard_dirs = [str(output / ".shards" / f"{i}-of-{shards}") for i in range(shards)]
    futures = [
        client.submit(_label_shard, model_factory, str(input_folder), shard_dirs[i], i, shards, label_options,
                      key=f"autodistill-label-{output.name}-{i}-of-{shards}-{os.getpid()}", pure=False)
        for i in range(shards)
    ]
    client.gather(futures)  # raises the first worker exception, with its traceback
    dataset = merge_shards(shard_dirs, str(output))
    # The shards are copies of what is now merged; a failure before this point keeps them for a resume.
    shutil.rmtree(output / ".shards", ignore_errors=True)
    return dataset
