#include "yolo_checkpoint.h"

#include <cstring>

#include <ATen/ATen.h>

#include "autodistill/core/error.h"
#include "autodistill/io/safetensors.h"
#include "autodistill/io/safetensors_torch.h"
#include "autodistill/io/weights_map.h"

namespace autodistill::yolo {
namespace {
constexpr const char* kStateTensor = "train_state";
constexpr const char* kRawPrefix = "train_model.";

nlohmann::json parse_meta(const SafetensorsFile& file, const std::string& key) {
  const auto it = file.metadata().find(key);
  if (it == file.metadata().end()) return nullptr;
  try {
    return nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    AD_THROW(IOError, "'{}': unreadable '{}' metadata ({})", file.path().string(), key, e.what());
  }
}
}  // namespace

void save_checkpoint(const std::filesystem::path& path, YoloNet& net, const CheckpointMeta& meta,
                     const TrainState* state) {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& p : net.named_parameters()) tensors.emplace_back(p.key(), p.value().detach());
  for (const auto& b : net.named_buffers()) tensors.emplace_back(b.key(), b.value());
  const nlohmann::json m = {{"format", kCheckpointFormat}, {"scale", meta.scale},         {"classes", meta.classes},
                            {"imgsz", meta.imgsz},         {"train_args", meta.train_args}};
  std::map<std::string, std::string> metadata = {{"autodistill", m.dump()}};
  if (state) {
    metadata["autodistill_train"] = state->progress.dump();
    at::Tensor bytes = at::empty({int64_t(state->optimizer.size())}, at::kByte);
    std::memcpy(bytes.data_ptr(), state->optimizer.data(), state->optimizer.size());
    tensors.emplace_back(kStateTensor, bytes);
    for (const auto& [name, t] : state->raw_weights) tensors.emplace_back(kRawPrefix + name, t);
  }
  save_safetensors(path, tensors, metadata);  // atomic: temporary file + rename
}

CheckpointMeta read_checkpoint_meta(const std::filesystem::path& path) {
  const SafetensorsFile file = SafetensorsFile::open(path);
  const nlohmann::json m = parse_meta(file, "autodistill");
  AD_CHECK_IO(m.is_object() && m.value("format", "") == kCheckpointFormat,
              "'{}' is not an autodistill-cpp YOLO checkpoint (no 'autodistill' metadata of format '{}')",
              path.string(), kCheckpointFormat);
  try {
    CheckpointMeta meta;
    meta.scale = m.at("scale").get<std::string>();
    meta.classes = m.at("classes").get<std::vector<std::string>>();
    meta.imgsz = m.at("imgsz").get<int64_t>();
    meta.train_args = m.value("train_args", nlohmann::json());
    return meta;
  } catch (const nlohmann::json::exception& e) {
    AD_THROW(IOError, "'{}': incomplete checkpoint metadata ({})", path.string(), e.what());
  }
}

std::optional<TrainState> read_train_state(const std::filesystem::path& path) {
  const SafetensorsFile file = SafetensorsFile::open(path);
  const nlohmann::json progress = parse_meta(file, "autodistill_train");
  if (progress.is_null() || !file.contains(kStateTensor)) return std::nullopt;
  const ByteSpan raw = file.raw(kStateTensor);
  TrainState state{progress, {}, std::string(reinterpret_cast<const char*>(raw.data), raw.size)};
  for (const std::string& name : file.names())
    if (name.rfind(kRawPrefix, 0) == 0) state.raw_weights.emplace_back(name.substr(std::strlen(kRawPrefix)), file.tensor(name));
  return state;
}

void load_checkpoint_weights(const std::filesystem::path& path, YoloNet& net) {
  const SafetensorsFile file = SafetensorsFile::open(path);
  WeightsLoadOptions o;
  o.ignore_unexpected = {kStateTensor, kRawPrefix};
  load_state_dict(net, file, o);
}

}  // namespace autodistill::yolo
