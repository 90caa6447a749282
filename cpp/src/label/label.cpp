// label(): decoder pool -> bounded queue -> batched inference (calling thread) -> writer thread.
#include "autodistill/label/label.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "../io/dataset_util.h"
#include "autodistill/core/boxes.h"
#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/logging.h"
#include "autodistill/core/progress.h"
#include "autodistill/core/threads.h"
#include "autodistill/io/file_io.h"
#include "bounded_queue.h"
#include "output_state.h"

namespace autodistill {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace label_detail;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

struct InputImage {
  std::string rel;
  fs::path path;
  std::string collision;  // non-empty: its label file would overwrite another image's
};

// Image files under `input` (sorted by relative path), skipping hidden entries and `output`.
std::vector<InputImage> list_inputs(const fs::path& input, const fs::path& output, const LabelOptions& o) {
  std::set<std::string> exts;
  for (const auto& e : o.extensions) exts.insert(lower(e));
  std::error_code ec;
  const fs::path out_canon = fs::weakly_canonical(output, ec);
  std::vector<InputImage> out;
  auto consider = [&](const fs::directory_entry& e) {
    const std::string name = e.path().filename().string();
    if (!name.empty() && name[0] == '.') return;
    std::error_code ec2;
    if (!e.is_regular_file(ec2)) return;
    if (!exts.count(lower(e.path().extension().string()))) return;
    out.push_back({detail::relative_generic(e.path(), input), e.path(), {}});
  };
  if (o.recursive) {
    for (auto it = fs::recursive_directory_iterator(input, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      std::error_code ec2;
      if (it->is_directory(ec2)) {
        if ((!name.empty() && name[0] == '.') || fs::weakly_canonical(it->path(), ec2) == out_canon)
          it.disable_recursion_pending();
        continue;
      }
      consider(*it);
    }
  } else {
    for (const auto& e : fs::directory_iterator(input, ec)) consider(e);
  }
  AD_CHECK_IO(!ec, "cannot list input folder '{}': {}", input.string(), ec.message());
  std::sort(out.begin(), out.end(), [](const InputImage& a, const InputImage& b) { return a.rel < b.rel; });
  std::map<std::string, std::string> label_owner;
  for (InputImage& im : out) {
    auto [it, fresh] = label_owner.emplace(detail::label_relative_path(im.rel), im.rel);
    if (!fresh) im.collision = "its label file '" + it->first + "' would overwrite the one of '" + it->second + "'";
  }
  return out;
}

json output_options_json(const LabelOptions& o) {
  std::set<std::string> exts;
  for (const auto& e : o.extensions) exts.insert(lower(e));
  json j = json::object();
  j["extensions"] = exts;
  j["recursive"] = o.recursive;
  j["confidence"] = detail::clean_number(o.confidence);
  j["nms"] = to_string(o.nms);
  j["nms_iou"] = detail::clean_number(o.nms_iou);
  j["split"] = o.split;
  j["seed"] = o.seed;
  j["max_pixels"] = o.max_pixels;
  if (o.sahi) {
    j["sahi"] = {{"tile_width", o.sahi->tile_width},   {"tile_height", o.sahi->tile_height},
                 {"overlap", o.sahi->overlap},         {"include_full_image", o.sahi->include_full_image},
                 {"merge", to_string(o.sahi->merge)}, {"merge_iou", detail::clean_number(o.sahi->merge_iou)}};
  } else {
    j["sahi"] = nullptr;
  }
  return j;
}

json ontology_json(const CaptionOntology& ontology) { return json::parse(ontology.to_json(-1)); }

// Removes what a previous run wrote (and nothing else of the user's).
void remove_previous_output(const fs::path& out) {
  std::error_code ec;
  for (const char* name : {"train", "valid", "data.yaml", "annotations.coco.json"}) fs::remove_all(out / name, ec);
  for (const char* name : {"manifest.json", "done.jsonl", "errors.jsonl"}) fs::remove(state_dir(out) / name, ec);
}

// Checks an existing output against this run; writes the manifest for a fresh one.
void prepare_output(const fs::path& out, const json& manifest_core, const LabelOptions& o) {
  std::error_code ec;
  const fs::path manifest_file = state_dir(out) / "manifest.json";
  if (o.overwrite) {
    remove_previous_output(out);
  } else if (fs::exists(manifest_file, ec)) {
    json previous;
    try {
      previous = json::parse(read_text_file(manifest_file));
    } catch (const json::parse_error& e) {
      AD_THROW(IOError, "'{}' is corrupt ({}); pass overwrite=True (--overwrite) to start over", manifest_file.string(),
               e.what());
    }
    for (const char* key : {"model", "ontology", "options"}) {
      const json before = previous.value(key, json());
      AD_CHECK(before == manifest_core[key],
               "output folder '{}' was labelled with a different {} ({} there, {} now); pass overwrite=True "
               "(--overwrite on the command line) to start over, or choose another output folder",
               out.string(), key, before.dump(), manifest_core[key].dump());
    }
  } else {
    // Not ours: refuse to mix a dataset into a folder that holds something else.
    bool foreign = false;
    for (const auto& e : fs::directory_iterator(out, ec))
      if (e.path().filename() != ".autodistill") foreign = true;
    AD_CHECK(!foreign,
             "output folder '{}' is not empty and is not a labelling output; pass overwrite=True (--overwrite) to "
             "write into it anyway (only train/, valid/, data.yaml and annotations.coco.json are replaced)",
             out.string());
  }
  json m = manifest_core;
  m["complete"] = false;
  write_file_atomic(manifest_file, m.dump(2) + "\n");
}

struct Decoded {
  size_t index = 0;  // into the todo list
  cv::Mat image;
  std::string error;
};

struct Result {
  DoneRecord record;
  fs::path source;
};

// Reads and decodes one file, or says why it is not a usable image.
Decoded decode_one(const InputImage& in, size_t index, int64_t max_pixels) {
  Decoded d;
  d.index = index;
  if (!in.collision.empty()) {
    d.error = in.collision;
    return d;
  }
  std::vector<uint8_t> bytes;
  try {
    bytes = read_binary_file(in.path);
  } catch (const Error& e) {
    d.error = "unreadable: " + e.message();
    return d;
  }
  if (bytes.empty()) {
    d.error = "empty file (0 bytes)";
    return d;
  }
  const auto [w, h] = image_size_from_header(bytes.data(), bytes.size());
  if (static_cast<int64_t>(w) * h > max_pixels) {
    d.error = fmt::format("image is {}x{} = {} pixels, more than max_pixels = {}", w, h, int64_t(w) * h, max_pixels);
    return d;
  }
  try {
    d.image = decode_image(bytes.data(), bytes.size(), in.path.string());
  } catch (const Error& e) {
    d.error = "not a decodable image: " + e.message();
    return d;
  } catch (const cv::Exception& e) {
    d.error = std::string("not a decodable image: ") + e.what();
    return d;
  }
  if (static_cast<int64_t>(d.image.cols) * d.image.rows > max_pixels) {
    d.error = fmt::format("image is {}x{} pixels, more than max_pixels = {}", d.image.cols, d.image.rows, max_pixels);
    d.image.release();
  }
  return d;
}

// Confidence filter, NMS, clipping to the image, degenerate boxes dropped.
Detections postprocess(Detections d, const cv::Mat& image, const LabelOptions& o, int64_t num_classes,
                       const std::string& model_name) {
  d.validate();
  for (int64_t i = 0; i < d.size(); ++i)
    AD_CHECK(d.class_id()[i] >= 0 && d.class_id()[i] < num_classes,
             "{} returned class id {} but the ontology has {} classes", model_name, d.class_id()[i], num_classes);
  if (o.confidence > 0.f) {
    std::vector<bool> keep(static_cast<size_t>(d.size()));
    for (int64_t i = 0; i < d.size(); ++i) keep[i] = d.confidence()[i] >= o.confidence;
    d = d.select(keep);
  }
  if (o.nms != NmsMode::None) d = d.with_nms(o.nms_iou, o.nms == NmsMode::ClassAgnostic);
  d.mutable_xyxy() = box_clip(d.xyxy(), static_cast<float>(image.cols), static_cast<float>(image.rows));
  std::vector<bool> keep(static_cast<size_t>(d.size()));
  bool all = true;
  for (int64_t i = 0; i < d.size(); ++i) {
    keep[i] = d.xyxy()(i, 2) > d.xyxy()(i, 0) && d.xyxy()(i, 3) > d.xyxy()(i, 1);
    all = all && keep[i];
  }
  return all ? d : d.select(keep);
}

// Detections without data columns or masks: the journal keeps boxes, scores and classes only.
Detections plain(const Detections& d) { return Detections(d.xyxy(), d.confidence(), d.class_id()); }

// Writes data.yaml, annotations.coco.json, the sorted journal, the final manifest.
DetectionDataset finalize_output(const fs::path& out, const json& manifest_core, const std::vector<std::string>& classes,
                                 bool complete) {
  write_file_atomic(out / "data.yaml", detail::yolo_data_yaml(classes));
  // Compact the journal in path order so that resumed and sharded runs leave the same file.
  std::vector<DoneRecord> records = read_journal(state_dir(out) / "done.jsonl", true);
  std::sort(records.begin(), records.end(), [](const DoneRecord& a, const DoneRecord& b) { return a.path < b.path; });
  std::string journal, errors;
  for (const DoneRecord& r : records) {
    journal += record_to_json(r).dump() + "\n";
    if (!r.error.empty()) errors += json({{"path", r.path}, {"error", r.error}}).dump() + "\n";
  }
  write_file_atomic(state_dir(out) / "done.jsonl", journal);
  write_file_atomic(state_dir(out) / "errors.jsonl", errors);
  DetectionDataset ds = load_label_output(out);
  write_file_atomic(out / "annotations.coco.json", detail::coco_document(ds, true).dump(2) + "\n");
  json m = manifest_core;
  m["complete"] = complete;
  m["done"] = ds.size();
  write_file_atomic(state_dir(out) / "manifest.json", m.dump(2) + "\n");
  return ds;
}

}  // namespace

DetectionDataset load_label_output(const fs::path& out) {
  const fs::path manifest_file = state_dir(out) / "manifest.json";
  std::error_code ec;
  AD_CHECK_IO(fs::exists(manifest_file, ec), "'{}' is not a labelling output: '{}' is missing", out.string(),
              manifest_file.string());
  json m;
  try {
    m = json::parse(read_text_file(manifest_file));
  } catch (const json::parse_error& e) {
    AD_THROW(IOError, "'{}': not valid JSON ({})", manifest_file.string(), e.what());
  }
  std::vector<std::string> classes = m.at("classes").get<std::vector<std::string>>();
  std::vector<DatasetImage> images;
  for (DoneRecord& r : read_journal(state_dir(out) / "done.jsonl", false)) {
    if (!r.error.empty()) continue;
    DatasetImage im;
    im.relative_path = r.path;
    im.split = r.split;
    im.path = out / r.split / "images" / r.path;
    im.width = r.width;
    im.height = r.height;
    im.detections = std::move(r.detections);
    images.push_back(std::move(im));
  }
  DetectionDataset ds(std::move(classes), std::move(images));
  ds.set_has_scores(true);
  ds.sort();
  return ds;
}

DetectionDataset LabelSummary::dataset() const { return load_label_output(output); }

LabelSummary label(BaseModel& model, const fs::path& input_folder, const fs::path& output_folder,
                   const LabelOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  options.validate();
  std::error_code ec;
  AD_CHECK(fs::is_directory(input_folder, ec), "input folder '{}' does not exist or is not a folder",
           input_folder.string());
  AD_CHECK(!output_folder.empty(), "output folder must not be empty");
  fs::create_directories(output_folder, ec);
  AD_CHECK_IO(fs::is_directory(output_folder, ec), "cannot create output folder '{}'", output_folder.string());

  const CaptionOntology& ontology = model.ontology();
  const std::vector<std::string> classes = ontology.classes();
  const auto num_classes = static_cast<int64_t>(classes.size());
  json manifest_core = json::object();
  manifest_core["format"] = "autodistill-cpp label output 1";
  manifest_core["model"] = model.name();
  manifest_core["ontology"] = ontology_json(ontology);
  manifest_core["classes"] = classes;
  manifest_core["options"] = output_options_json(options);
  manifest_core["shard"] = {{"index", options.shard.index}, {"count", options.shard.count}};

  OutputLock lock(output_folder);
  remove_temp_files(output_folder);
  prepare_output(output_folder, manifest_core, options);
  write_file_atomic(output_folder / "data.yaml", detail::yolo_data_yaml(classes));
  for (const char* split : {"train", "valid"})
    for (const char* kind : {"images", "labels"}) fs::create_directories(output_folder / split / kind, ec);

  const fs::path journal_file = state_dir(output_folder) / "done.jsonl";
  std::set<std::string> done;
  for (const DoneRecord& r : read_journal(journal_file, true)) done.insert(r.path);

  std::vector<InputImage> todo;
  LabelSummary summary;
  summary.output = output_folder;
  summary.classes = classes;
  for (InputImage& im : list_inputs(input_folder, output_folder, options)) {
    if (options.shard.count > 1 && shard_for_path(im.rel, options.shard.count) != options.shard.index) continue;
    ++summary.total;
    if (done.count(im.rel)) {
      ++summary.skipped;
      continue;
    }
    todo.push_back(std::move(im));
  }
  done.clear();
  log_info("label: {} images ({} already done) from '{}' into '{}'", summary.total, summary.skipped,
           input_folder.string(), output_folder.string());

  ProgressReporter* progress = options.progress;
  if (progress) progress->start("labelling", static_cast<int64_t>(todo.size()));

  const int workers = options.workers > 0 ? options.workers : std::max(1, available_cpus());
  const size_t batch = static_cast<size_t>(options.batch_size);
  BoundedQueue<Decoded> decoded(2 * batch + static_cast<size_t>(workers));
  BoundedQueue<std::vector<Result>> to_write(2);
  std::atomic<size_t> next{0};
  std::atomic<int> decoders_left{workers};
  std::atomic<bool> stop{false};
  std::mutex failure_mutex;
  std::exception_ptr writer_failure;
  std::atomic<int64_t> labelled{0}, new_errors{0};

  std::vector<std::thread> decoders;
  for (int w = 0; w < workers; ++w) {
    decoders.emplace_back([&] {
      for (size_t i; !stop.load() && (i = next.fetch_add(1)) < todo.size();)
        if (!decoded.push(decode_one(todo[i], i, options.max_pixels))) break;
      if (decoders_left.fetch_sub(1) == 1) decoded.close();
    });
  }

  std::thread writer([&] {
    try {
      JournalWriter journal(journal_file);
      JournalWriter error_log(state_dir(output_folder) / "errors.jsonl");
      for (std::optional<std::vector<Result>> job; (job = to_write.pop());) {
        int64_t n_ok = 0, n_err = 0;
        for (Result& r : *job) {
          DoneRecord& rec = r.record;
          if (rec.error.empty()) {
            const fs::path root = output_folder / rec.split;
            transfer_file(r.source, root / "images" / rec.path, options.images);
            write_file_atomic(root / "labels" / detail::label_relative_path(rec.path),
                              detail::yolo_label_text(rec.detections, rec.width, rec.height));
            ++n_ok;
          } else {
            ++n_err;
            error_log.append(json({{"path", rec.path}, {"error", rec.error}}).dump());
          }
          journal.append(record_to_json(rec).dump());
        }
        if (n_err) error_log.sync();
        journal.sync();
        labelled += n_ok;
        new_errors += n_err;
        if (progress) progress->advance(n_ok + n_err, n_err || new_errors ? fmt::format("{} errors", new_errors.load()) : "");
      }
    } catch (...) {
      std::lock_guard<std::mutex> l(failure_mutex);
      writer_failure = std::current_exception();
      stop = true;
      to_write.close(true);
      decoded.close(true);
    }
  });

  auto shutdown = [&](bool discard) {
    stop = true;
    decoded.close(discard);
    for (auto& t : decoders) t.join();
    to_write.close(false);
    writer.join();
  };

  try {
    bool exhausted = false;
    while (!exhausted) {
      throw_if_interrupted();
      {
        std::lock_guard<std::mutex> l(failure_mutex);
        if (writer_failure) std::rethrow_exception(writer_failure);
      }
      std::vector<Decoded> items;
      while (items.size() < batch) {
        std::optional<Decoded> d = decoded.pop();
        if (!d) {
          exhausted = true;
          break;
        }
        items.push_back(std::move(*d));
      }
      if (items.empty()) break;
      std::vector<cv::Mat> images;
      std::vector<size_t> slots;
      std::vector<Result> results(items.size());
      std::string first_error;
      for (size_t k = 0; k < items.size(); ++k) {
        const InputImage& in = todo[items[k].index];
        results[k].record.path = in.rel;
        results[k].source = in.path;
        if (!items[k].error.empty()) {
          results[k].record.error = items[k].error;
          if (first_error.empty()) first_error = in.path.string() + ": " + items[k].error;
          continue;
        }
        images.push_back(items[k].image);
        slots.push_back(k);
      }
      if (!images.empty()) {
        std::vector<Detections> dets = options.sahi ? predict_sliced(model, images, *options.sahi, options.batch_size)
                                                    : model.predict_batch(images);
        AD_CHECK(dets.size() == images.size(), "{}: predict_batch returned {} results for {} images", model.name(),
                 dets.size(), images.size());
        for (size_t j = 0; j < slots.size(); ++j) {
          DoneRecord& rec = results[slots[j]].record;
          rec.width = images[j].cols;
          rec.height = images[j].rows;
          rec.split = split_for_path(rec.path, options.split, options.seed);
          rec.detections = plain(postprocess(std::move(dets[j]), images[j], options, num_classes, model.name()));
        }
      }
      images.clear();
      items.clear();
      if (!to_write.push(std::move(results))) break;  // the writer failed; reported below
      if (!first_error.empty()) {
        log_warning("label: {}", first_error);
        if (options.strict) AD_THROW(IOError, "bad image (strict mode): {}", first_error);
      }
    }
  } catch (...) {
    shutdown(true);
    if (progress) progress->finish("stopped");
    if (writer_failure) std::rethrow_exception(writer_failure);
    throw;
  }
  shutdown(false);
  if (writer_failure) std::rethrow_exception(writer_failure);

  const DetectionDataset ds = finalize_output(output_folder, manifest_core, classes, true);
  summary.labelled = labelled.load();
  summary.new_errors = new_errors.load();
  for (const DoneRecord& r : read_journal(journal_file, false)) summary.errors += r.error.empty() ? 0 : 1;
  summary.boxes_per_class = ds.stats().boxes_per_class;
  summary.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  summary.images_per_s = summary.elapsed_s > 0 ? (summary.labelled + summary.new_errors) / summary.elapsed_s : 0;
  if (progress) progress->finish(fmt::format("{} labelled, {} skipped, {} errors", summary.labelled, summary.skipped,
                                             summary.errors));
  return summary;
}

}  // namespace autodistill
