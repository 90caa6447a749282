#pragma once
/// \file
/// `label()`: a folder of images in, a dataset out (DESIGN.md §4). A pipeline, not a loop:
/// `workers` decoder threads read and decode images into a bounded queue; the calling thread batches
/// them into `model.predict_batch` (the one inference thread); one writer thread places images and
/// label files (temporary name + rename) and appends a done-record per image to
/// `out/.autodistill/done.jsonl` (fsync'ed per batch). Memory is bounded by the queues, whatever the
/// folder size. A re-run resumes: done images are skipped and `annotations.coco.json` is rebuilt from
/// the journal. One run per output at a time (`out/.autodistill/lock`, flock).
///
/// Output layout: out/data.yaml (train, val, nc, names), out/{train,valid}/{images,labels}/<relative
/// path>, rows `class cx cy w h` normalised with 6 decimals, empty .txt for no objects,
/// out/annotations.coco.json (file_name "train/images/<rel>", with scores), out/.autodistill/
/// {manifest.json, done.jsonl, errors.jsonl, lock}.
///
/// Ctrl-C / interrupt checker: polled on the calling thread between batches; `Interrupted` leaves a
/// resumable output.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "autodistill/io/dataset.h"
#include "autodistill/models/base_model.h"

namespace autodistill {

class ProgressReporter;

/// How overlapping boxes are suppressed.
enum class NmsMode { None, ClassSpecific, ClassAgnostic };

/// "none", "class_specific", "class_agnostic" (InvalidArgument otherwise) and back.
NmsMode parse_nms_mode(const std::string& name);
std::string to_string(NmsMode mode);

/// SAHI-style slicing: the image is cut into overlapping tiles, each tile is predicted (tiles are
/// batched), boxes are shifted back into image pixels and merged with NMS.
struct SliceOptions {
  int tile_width = 640;      ///< pixels, >= 1
  int tile_height = 640;     ///< pixels, >= 1
  double overlap = 0.2;      ///< fraction of the tile shared with its neighbour, in [0, 1)
  bool include_full_image = true;       ///< also predict the whole image (large objects)
  NmsMode merge = NmsMode::ClassSpecific;  ///< how tile predictions are merged (None keeps all)
  float merge_iou = 0.5f;

  /// InvalidArgument naming the bad field.
  void validate() const;
  /// Tile rectangles (x, y, w, h) covering a `width` x `height` image, row-major; the last row and
  /// column are shifted inwards so every tile lies inside the image (tiles never exceed it).
  std::vector<std::array<int, 4>> tiles(int width, int height) const;
};

/// Runs `predict_batch` on the tiles of every image (and the full image when asked), `batch_size`
/// inputs per call, and returns one merged Detections per image in image pixels.
std::vector<Detections> predict_sliced(BaseModel& model, const std::vector<cv::Mat>& images,
                                       const SliceOptions& slice, int batch_size);

struct ShardSpec {
  int index = 0;  ///< in [0, count)
  int count = 1;  ///< >= 1
};

struct LabelOptions {
  /// Lower-case or not: matched case-insensitively, with the dot.
  std::vector<std::string> extensions{".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"};
  bool recursive = true;
  float confidence = 0.f;        ///< keep boxes with confidence >= this
  NmsMode nms = NmsMode::None;   ///< applied after the model (and after slicing)
  float nms_iou = 0.5f;
  double split = 0.8;            ///< share of images in "train" (by path hash)
  uint64_t seed = 0;
  int batch_size = 8;            ///< images per predict_batch call
  int workers = 0;               ///< decoder threads; 0 = available_cpus()
  ShardSpec shard;
  std::optional<SliceOptions> sahi;
  bool overwrite = false;        ///< delete a previous output (ours only) and start over
  bool strict = false;           ///< the first bad image is fatal (IOError)
  ImageTransfer images = ImageTransfer::Copy;
  int64_t max_pixels = 89478485; ///< larger images are recorded as errors (PIL's default limit)
  /// Not owned; nullptr = silent. Called from the pipeline threads.
  ProgressReporter* progress = nullptr;

  /// InvalidArgument naming the bad field and its value.
  void validate() const;
};

struct LabelSummary {
  std::filesystem::path output;
  std::vector<std::string> classes;
  int64_t total = 0;       ///< images of this shard found in the input
  int64_t labelled = 0;    ///< labelled by this run
  int64_t skipped = 0;     ///< already done by an earlier run
  int64_t errors = 0;      ///< bad images in the output's errors.jsonl (this run and earlier ones)
  int64_t new_errors = 0;  ///< of which found by this run
  std::vector<int64_t> boxes_per_class;  ///< over every image labelled so far (all runs)
  double elapsed_s = 0;
  double images_per_s = 0;  ///< (labelled + new_errors) / elapsed_s

  /// The labelled dataset, read from the output's journal (no image is decoded).
  DetectionDataset dataset() const;
};

/// Labels every image under `input_folder` (see the file comment). Throws InvalidArgument for bad
/// options, a missing input, a different ontology/model/options on an existing output (pass
/// overwrite to start over) and Error when another run holds the output's lock.
LabelSummary label(BaseModel& model, const std::filesystem::path& input_folder,
                   const std::filesystem::path& output_folder, const LabelOptions& options);

/// The dataset of a label() output folder (its journal and manifest).
DetectionDataset load_label_output(const std::filesystem::path& output_folder);

/// Combines shard outputs of the same labelling (same ontology, model and options; shards i/n)
/// into `output_folder`, byte-identical in data.yaml, label files and annotations.coco.json to a single
/// run. Images are hard-linked when possible. Returns the merged dataset.
DetectionDataset merge_shards(const std::vector<std::filesystem::path>& shard_outputs,
                              const std::filesystem::path& output_folder);

}  // namespace autodistill
