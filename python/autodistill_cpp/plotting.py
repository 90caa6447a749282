"""Inline display of images and labelled grids through matplotlib (notebooks and scripts).

Images are BGR uint8 arrays (the package's convention); they are shown in RGB. Without a display
(no ``DISPLAY``/``WAYLAND_DISPLAY`` on Linux and not inside IPython) matplotlib's non-interactive
Agg backend is selected before pyplot is first imported, so these functions never fail for lack of
a window: the figure is returned, and ``save`` writes it.
"""

from __future__ import annotations

import os
import random
import sys
from typing import Any, Optional, Sequence

import numpy as np

from . import _core

__all__ = ["show", "show_grid", "sample_grid"]


def _pyplot() -> Any:
    import matplotlib

    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and "IPython" not in sys.modules and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 3:
        return image[:, :, ::-1]
    if image.ndim == 3 and image.shape[2] == 4:
        return image[:, :, [2, 1, 0, 3]]
    return image


def show(image: np.ndarray, title: Optional[str] = None, size: float = 8.0, save: Optional[str] = None) -> Any:
    """Shows one BGR image (e.g. from :func:`autodistill_cpp.plot`) and returns the matplotlib Figure."""
    plt = _pyplot()
    image = np.asarray(image)
    h, w = image.shape[:2]
    fig, ax = plt.subplots(figsize=(size, size * h / max(w, 1)))
    ax.imshow(_rgb(image), cmap="gray" if image.ndim == 2 else None)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    if save:
        fig.savefig(save)
    if plt.get_backend().lower() != "agg":
        plt.show()
    return fig


def sample_grid(dataset: Any, n: int = 16, min_confidence: float = 0.5, seed: int = 0, columns: int = 0,
                cell_size: int = 320) -> np.ndarray:
    """A BGR grid of ``n`` random images of a DetectionDataset with their boxes (confidence >=
    ``min_confidence``), chosen with ``seed`` (Python's ``random``) from the images sorted by relative
    path; ``columns`` 0 picks ceil(sqrt(n)) (4 for 16). The CLI's ``grid`` uses its own generator, so
    the same seed picks other images there."""
    images = sorted(dataset.images, key=lambda im: im.relative_path)
    if not images:
        raise ValueError("the dataset has no images")
    chosen = sorted(random.Random(seed).sample(range(len(images)), min(n, len(images))))
    pixels, dets, titles = [], [], []
    for i in chosen:
        im = images[i]
        d = im.detections
        pixels.append(_core.load_image(str(im.path)))
        dets.append(d[np.asarray(d.confidence) >= min_confidence] if len(d) else d)
        titles.append(im.relative_path)
    cols = columns or int(np.ceil(np.sqrt(len(pixels))))
    return _core.grid(pixels, dets, list(dataset.classes), columns=cols, cell_size=cell_size, titles=titles)


def show_grid(images: Any, detections: Optional[Sequence[Any]] = None, class_names: Sequence[str] = (),
              columns: int = 4, cell_size: int = 320, titles: Sequence[str] = (), n: int = 16,
              min_confidence: float = 0.5, seed: int = 0, size: float = 12.0, save: Optional[str] = None) -> Any:
    """Shows a grid and returns the Figure. ``images`` is a list of BGR images (with optional
    per-image ``detections`` and ``class_names``) or a DetectionDataset, of which ``n`` random images
    (``seed``) are drawn with their boxes at confidence >= ``min_confidence``."""
    if isinstance(images, _core.DetectionDataset):
        tiled = sample_grid(images, n=n, min_confidence=min_confidence, seed=seed, columns=columns,
                            cell_size=cell_size)
    else:
        tiled = _core.grid(list(images), None if detections is None else list(detections), list(class_names),
                           columns=columns, cell_size=cell_size, titles=list(titles))
    return show(tiled, size=size, save=save)
