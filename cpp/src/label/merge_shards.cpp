// merge_shards(): shard outputs -> one output equal to a single run.
#include <map>

#include <nlohmann/json.hpp>

#include "../io/dataset_util.h"
#include "autodistill/core/error.h"
#include "autodistill/io/file_io.h"
#include "autodistill/label/label.h"
#include "output_state.h"

namespace autodistill {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace label_detail;

DetectionDataset merge_shards(const std::vector<fs::path>& shard_outputs, const fs::path& output_folder) {
  AD_CHECK(!shard_outputs.empty(), "merge_shards needs at least one shard output");
  json reference;
  std::vector<DoneRecord> records;
  std::map<std::string, fs::path> owner;
  for (const fs::path& shard : shard_outputs) {
    const fs::path manifest_file = state_dir(shard) / "manifest.json";
    std::error_code ec;
    AD_CHECK(fs::exists(manifest_file, ec), "'{}' is not a labelling output ('{}' is missing)", shard.string(),
             manifest_file.string());
    json m = json::parse(read_text_file(manifest_file));
    AD_CHECK(m.value("complete", false), "shard output '{}' is not complete; run its label command again to finish it",
             shard.string());
    if (reference.is_null()) {
      reference = m;
    } else {
      for (const char* key : {"model", "ontology", "classes", "options"})
        AD_CHECK(m[key] == reference[key], "shard '{}' differs from '{}' in its {} ({} vs {})", shard.string(),
                 shard_outputs.front().string(), key, m[key].dump(), reference[key].dump());
    }
    for (DoneRecord& r : read_journal(state_dir(shard) / "done.jsonl", false)) {
      auto [it, fresh] = owner.emplace(r.path, shard);
      AD_CHECK(fresh, "image '{}' is in two shards: '{}' and '{}'", r.path, it->second.string(), shard.string());
      if (r.error.empty()) {
        const fs::path root = shard / r.split;
        transfer_file(root / "images" / r.path, output_folder / r.split / "images" / r.path, ImageTransfer::Hardlink);
        transfer_file(root / "labels" / detail::label_relative_path(r.path),
                      output_folder / r.split / "labels" / detail::label_relative_path(r.path), ImageTransfer::Copy);
      }
      records.push_back(std::move(r));
    }
  }
  std::sort(records.begin(), records.end(), [](const DoneRecord& a, const DoneRecord& b) { return a.path < b.path; });
  std::string journal, errors;
  for (const DoneRecord& r : records) {
    journal += record_to_json(r).dump() + "\n";
    if (!r.error.empty()) errors += json({{"path", r.path}, {"error", r.error}}).dump() + "\n";
  }
  std::error_code ec;
  for (const char* split : {"train", "valid"})
    for (const char* kind : {"images", "labels"}) fs::create_directories(output_folder / split / kind, ec);
  write_file_atomic(state_dir(output_folder) / "done.jsonl", journal);
  write_file_atomic(state_dir(output_folder) / "errors.jsonl", errors);
  const auto classes = reference["classes"].get<std::vector<std::string>>();
  write_file_atomic(output_folder / "data.yaml", detail::yolo_data_yaml(classes));
  json m = reference;
  m["shard"] = {{"index", 0}, {"count", 1}};
  m["complete"] = true;
  write_file_atomic(state_dir(output_folder) / "manifest.json", m.dump(2) + "\n");
  DetectionDataset ds = load_label_output(output_folder);
  write_file_atomic(output_folder / "annotations.coco.json", detail::coco_document(ds, true).dump(2) + "\n");
  m["done"] = ds.size();
  write_file_atomic(state_dir(output_folder) / "manifest.json", m.dump(2) + "\n");
  return ds;
}

}  // namespace autodistill
