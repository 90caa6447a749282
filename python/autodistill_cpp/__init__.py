"""autodistill_cpp: label images with foundation models, train small detectors, evaluate (C++ core).

Images are numpy ``(H, W, 3)`` uint8 arrays in BGR order (cv2's convention); boxes are ``(N, 4)``
float32 xyxy pixels. C++ errors arrive as ``ValueError`` (bad argument), ``OSError`` (files),
``KeyboardInterrupt`` (Ctrl-C during a long call) or :class:`Error` (anything else, a ``RuntimeError``).
C++ log messages go to ``logging.getLogger("autodistill_cpp")``; choose what C++ emits with
:func:`set_log_level`.
"""

from __future__ import annotations

import atexit as _atexit
import logging as _logging
import sys as _sys
from typing import Optional as _Optional

from . import _build_config


def _torch_mismatch(torch_version: str, torch_cxx11_abi: _Optional[bool]) -> _Optional[str]:
    """Why a torch of this version/ABI cannot share the process with this build, or None if it can."""
    def base(v: str) -> str:
        return ".".join(str(v).split("+")[0].split(".")[:2])

    ours = base(_build_config.LIBTORCH_VERSION)
    theirs = base(torch_version)
    abi_differs = torch_cxx11_abi is not None and int(bool(torch_cxx11_abi)) != int(_build_config.CXX11_ABI)
    if ours == theirs and not abi_differs:
        return None
    return (
        f"autodistill_cpp was built against LibTorch {_build_config.LIBTORCH_VERSION} "
        f"(CXX11 ABI {int(_build_config.CXX11_ABI)}) but the imported torch is {torch_version} "
        f"(ABI {'unknown' if torch_cxx11_abi is None else int(bool(torch_cxx11_abi))}); two different LibTorch "
        "builds in one process crash. Use the torch this package was built with (Debian's python3-torch) "
        "or rebuild autodistill_cpp against your torch (CMAKE_PREFIX_PATH=$(python -c 'import torch; "
        "print(torch.utils.cmake_prefix_path)'))."
    )


def _check_torch() -> None:
    # Only a torch that is already loaded is checked: importing torch here would cost seconds.
    torch = _sys.modules.get("torch")
    if torch is None:
        return
    abi = None
    try:
        abi = torch._C._GLIBCXX_USE_CXX11_ABI
    except AttributeError:
        pass
    problem = _torch_mismatch(getattr(torch, "__version__", "unknown"), abi)
    if problem:
        raise ImportError(problem)


_check_torch()

from . import _core  # noqa: E402  (after the torch check on purpose)
from ._core import (  # noqa: E402
    BaseModel,
    BertTokenizer,
    CLIP,
    CLIPTokenizer,
    CascadeDetector,
    CaptionOntology,
    ClassificationBaseModel,
    Classifications,
    ComposedDetectionModel,
    Detections,
    Error,
    GroundingDINO,
    HOGPeopleDetector,
    LetterboxTransform,
    OWLViT,
    OWLv2,
    available_cpus,
    batched_nms,
    box_area,
    box_clip,
    box_iou,
    box_scale,
    build_info,
    configure_threads,
    create_base_model,
    cuda_available,
    cuda_device_count,
    cxcywh_to_xyxy,
    decode_image,
    letterbox,
    list_models,
    load_image,
    load_safetensors,
    load_safetensors_metadata,
    log_level,
    model_info,
    nms,
    parse_device,
    register_base_model,
    save_image,
    save_safetensors,
    set_log_level,
    torch_num_threads,
    xywh_to_xyxy,
    xyxy_to_cxcywh,
    xyxy_to_xywh,
)
from ._core import (  # noqa: E402  (eval/)
    CocoStats,
    ConfusionMatrix,
    EvalInputReport,
    MeanAveragePrecision,
    MeanAveragePrecisionResult,
    PrecisionRecall,
    PrecisionRecallResult,
    coco_evaluate,
    coco_evaluate_detailed,
    image_agreement,
)
from ._core import (  # noqa: E402  (labelling and datasets)
    DatasetImage,
    DetectionDataset,
    SliceOptions,
    load_label_output,
    merge_shards,
    split_for_path,
)
from ._core import (  # noqa: E402  (dataset evaluation)
    EvaluationReport,
    OntologyComparison,
    compare,
    compare_ontologies,
    detect_dataset_format,
    evaluate,
    evaluate_coco,
    evaluate_model,
    read_dataset,
    report_html,
)
from ._core import grid, plot, side_by_side  # noqa: E402  (viz/)
from ._core import TargetModel, YOLO  # noqa: E402  (target model)

__version__: str = _core.__version__

__all__ = [
    "BaseModel", "BertTokenizer", "CLIPTokenizer", "CaptionOntology", "CascadeDetector", "ClassificationBaseModel",
    "Classifications", "ComposedDetectionModel", "Detections", "Error", "HOGPeopleDetector", "LetterboxTransform", "available_cpus",
    "batched_nms", "box_area", "box_clip", "box_iou", "box_scale", "build_info", "configure_threads",
    "create_base_model", "cuda_available", "cuda_device_count", "cxcywh_to_xyxy", "decode_image",
    "letterbox", "list_models", "load_image", "load_safetensors", "load_safetensors_metadata", "log_level", "model_info", "nms", "parse_device",
    "register_base_model", "save_image", "save_safetensors", "set_log_level", "torch_num_threads", "xywh_to_xyxy",
    "xyxy_to_cxcywh", "xyxy_to_xywh", "__version__",
    "DatasetImage", "DetectionDataset", "SliceOptions", "load_label_output", "merge_shards", "split_for_path",
]
__all__ += [
    "CocoStats", "ConfusionMatrix", "EvalInputReport", "MeanAveragePrecision", "MeanAveragePrecisionResult", "PrecisionRecall", "PrecisionRecallResult", "coco_evaluate", "coco_evaluate_detailed", "image_agreement",
    "CLIP", "OWLViT", "OWLv2",
    "GroundingDINO",
]
__all__ += ["EvaluationReport", "OntologyComparison", "compare", "compare_ontologies", "detect_dataset_format", "evaluate",
            "evaluate_coco", "evaluate_model", "read_dataset", "report_html"]
__all__ += ["grid", "plot", "side_by_side"]
__all__ += ["TargetModel", "YOLO"]

# ---- C++ logging -> Python logging, Ctrl-C -> C++ loops -------------------------------------------
logger = _logging.getLogger("autodistill_cpp")


def _log_sink(level: int, message: str) -> None:
    logger.log(level, message)


_core._set_log_sink(_log_sink)
_core._set_interrupt_checking(True)


@_atexit.register
def _detach_from_interpreter() -> None:
    # C++ worker threads may still log or poll for Ctrl-C while Python shuts down: from here on they
    # use stderr and no checker instead of calling into a dying interpreter.
    _core._set_interrupt_checking(False)
    _core._set_log_sink(None)
