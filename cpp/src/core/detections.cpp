#include "autodistill/core/detections.h"

#include <cstring>

#include "autodistill/core/error.h"
#include "autodistill/core/nms.h"

namespace autodistill {
namespace {

size_t column_size(const DataColumn& c) {
  return std::visit([](const auto& v) { return v.size(); }, c);
}

const char* column_kind(const DataColumn& c) {
  switch (c.index()) {
    case 0: return "float";
    case 1: return "int";
    default: return "string";
  }
}

DataColumn take_rows(const DataColumn& c, const std::vector<int64_t>& idx) {
  return std::visit(
      [&](const auto& v) -> DataColumn {
        std::decay_t<decltype(v)> out;
        out.reserve(idx.size());
        for (int64_t i : idx) out.push_back(v[static_cast<size_t>(i)]);
        return out;
      },
      c);
}

}  // namespace

Detections::Detections(BoxArray xyxy, ScoreArray confidence, ClassIdArray class_id, std::optional<MaskArray> mask,
                       DataColumns data)
    : xyxy_(std::move(xyxy)),
      confidence_(std::move(confidence)),
      class_id_(std::move(class_id)),
      mask_(std::move(mask)),
      data_(std::move(data)) {
  validate();
}

void Detections::validate() const {
  const int64_t n = xyxy_.rows();
  AD_CHECK(confidence_.size() == n, "Detections: xyxy has {} rows, so confidence must have {} entries, got {}", n, n,
           confidence_.size());
  AD_CHECK(class_id_.size() == n, "Detections: xyxy has {} rows, so class_id must have {} entries, got {}", n, n,
           class_id_.size());
  if (mask_) {
    AD_CHECK(mask_->count == n, "Detections: xyxy has {} rows, so mask must be ({}, H, W), got ({}, {}, {})", n, n,
             mask_->count, mask_->height, mask_->width);
    AD_CHECK(mask_->height >= 0 && mask_->width >= 0 &&
                 static_cast<int64_t>(mask_->data.size()) == mask_->count * mask_->height * mask_->width,
             "Detections: mask ({}, {}, {}) needs {} bytes, has {}", mask_->count, mask_->height, mask_->width,
             mask_->count * mask_->height * mask_->width, mask_->data.size());
  }
  for (const auto& [name, column] : data_) {
    AD_CHECK(static_cast<int64_t>(column_size(column)) == n,
             "Detections: data column '{}' has {} entries, expected {} (one per detection)", name,
             column_size(column), n);
  }
}

void Detections::set_data(const std::string& name, DataColumn column) {
  AD_CHECK(static_cast<int64_t>(column_size(column)) == size(),
           "Detections.set_data: column '{}' has {} entries, expected {}", name, column_size(column), size());
  data_[name] = std::move(column);
}

Detections Detections::select(const std::vector<bool>& keep) const {
  AD_CHECK(static_cast<int64_t>(keep.size()) == size(),
           "Detections: boolean selection has {} entries, expected {} (one per detection)", keep.size(), size());
  std::vector<int64_t> idx;
  for (size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) idx.push_back(static_cast<int64_t>(i));
  return select(idx);
}

Detections Detections::select(const std::vector<int64_t>& indices) const {
  const int64_t n = size();
  const auto m = static_cast<Eigen::Index>(indices.size());
  BoxArray xyxy(m, 4);
  ScoreArray conf(m);
  ClassIdArray cls(m);
  for (Eigen::Index k = 0; k < m; ++k) {
    const int64_t i = indices[static_cast<size_t>(k)];
    AD_CHECK(i >= 0 && i < n, "Detections: index {} out of range for {} detections", i, n);
    xyxy.row(k) = xyxy_.row(i);
    conf[k] = confidence_[i];
    cls[k] = class_id_[i];
  }
  std::optional<MaskArray> mask;
  if (mask_) {
    MaskArray out{m, mask_->height, mask_->width, {}};
    const size_t plane = static_cast<size_t>(mask_->height * mask_->width);
    out.data.resize(plane * static_cast<size_t>(m));
    for (size_t k = 0; k < indices.size(); ++k)
      std::memcpy(out.data.data() + k * plane, mask_->data.data() + static_cast<size_t>(indices[k]) * plane, plane);
    mask = std::move(out);
  }
  DataColumns data;
  for (const auto& [name, column] : data_) data[name] = take_rows(column, indices);
  return Detections(std::move(xyxy), std::move(conf), std::move(cls), std::move(mask), std::move(data));
}

Detections Detections::merge(const std::vector<Detections>& parts) {
  std::vector<const Detections*> nonempty;
  for (const auto& p : parts)
    if (!p.is_empty()) nonempty.push_back(&p);
  if (nonempty.empty()) return Detections();
  const Detections& first = *nonempty.front();
  int64_t total = 0;
  for (size_t k = 0; k < nonempty.size(); ++k) {
    const Detections& p = *nonempty[k];
    total += p.size();
    AD_CHECK(p.mask_.has_value() == first.mask_.has_value(),
             "Detections.merge: part {} {} masks but the first part {}", k, p.mask_ ? "has" : "has no",
             first.mask_ ? "has" : "has none");
    if (p.mask_)
      AD_CHECK(p.mask_->height == first.mask_->height && p.mask_->width == first.mask_->width,
               "Detections.merge: part {} has {}x{} masks, the first part {}x{}", k, p.mask_->height, p.mask_->width,
               first.mask_->height, first.mask_->width);
    AD_CHECK(p.data_.size() == first.data_.size(), "Detections.merge: part {} has {} data columns, the first part {}",
             k, p.data_.size(), first.data_.size());
    for (const auto& [name, column] : first.data_) {
      auto it = p.data_.find(name);
      AD_CHECK(it != p.data_.end(), "Detections.merge: part {} lacks data column '{}'", k, name);
      AD_CHECK(it->second.index() == column.index(), "Detections.merge: data column '{}' is {} in part {} but {} in the first",
               name, column_kind(it->second), k, column_kind(column));
    }
  }
  BoxArray xyxy(total, 4);
  ScoreArray conf(total);
  ClassIdArray cls(total);
  std::optional<MaskArray> mask;
  if (first.mask_) mask = MaskArray{total, first.mask_->height, first.mask_->width, {}};
  DataColumns data = first.data_;
  for (auto& [name, column] : data) std::visit([](auto& v) { v.clear(); }, column);
  int64_t row = 0;
  for (const Detections* p : nonempty) {
    xyxy.middleRows(row, p->size()) = p->xyxy_;
    conf.segment(row, p->size()) = p->confidence_;
    cls.segment(row, p->size()) = p->class_id_;
    if (mask) mask->data.insert(mask->data.end(), p->mask_->data.begin(), p->mask_->data.end());
    for (auto& [name, column] : data) {
      const DataColumn& src = p->data_.at(name);
      std::visit(
          [&](auto& dst) {
            const auto& s = std::get<std::decay_t<decltype(dst)>>(src);
            dst.insert(dst.end(), s.begin(), s.end());
          },
          column);
    }
    row += p->size();
  }
  return Detections(std::move(xyxy), std::move(conf), std::move(cls), std::move(mask), std::move(data));
}

Eigen::VectorXf Detections::box_area() const { return autodistill::box_area(xyxy_); }

Eigen::VectorXf Detections::area() const {
  if (!mask_) return box_area();
  Eigen::VectorXf out(size());
  const size_t plane = static_cast<size_t>(mask_->height * mask_->width);
  for (int64_t i = 0; i < size(); ++i) {
    const uint8_t* m = mask_->data.data() + static_cast<size_t>(i) * plane;
    size_t count = 0;
    for (size_t p = 0; p < plane; ++p) count += m[p] != 0;
    out[i] = static_cast<float>(count);
  }
  return out;
}

Detections Detections::with_nms(float iou_threshold, bool class_agnostic) const {
  AD_CHECK(iou_threshold >= 0.f && iou_threshold <= 1.f, "with_nms: iou threshold must be in [0, 1], got {}",
           iou_threshold);
  return select(class_agnostic ? nms(xyxy_, confidence_, iou_threshold)
                               : batched_nms(xyxy_, confidence_, class_id_, iou_threshold));
}

}  // namespace autodistill
