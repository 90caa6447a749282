#pragma once
/// \file
/// `CLIP`: OpenAI's CLIP (Hugging Face `CLIPModel` checkpoints such as openai/clip-vit-base-patch32)
/// in LibTorch, as a zero-shot classifier (`ClassificationBaseModel`): `classify` gives each class the
/// softmax probability of its prompts over all the ontology's prompts (summed when a class has several
/// prompts). It is also a `BaseModel`, so it labels folders like the detectors: `predict` returns ONE
/// whole-image detection, box (0, 0, W, H), with the most likely class and its probability. As the
/// classifier of a `ComposedDetectionModel` it names the boxes another model finds.
/// `embed_image` / `embed_text` give L2-normalised embeddings for curation (dedup, search).
///
/// Weights: a folder with config.json, model.safetensors, preprocessor_config.json (optional:
/// upstream defaults), vocab.json and merges.txt (the tokenizer). Prompt embeddings of the ontology
/// are computed once, at construction.
///
/// Thread-safety: one thread at a time.

#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "autodistill/models/base_model.h"
#include "autodistill/models/classification_model.h"

namespace autodistill {

/// Rows are L2-normalised embeddings, row-major float32.
using EmbeddingMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class CLIP : public BaseModel, public ClassificationBaseModel {
 public:
  struct Options {
    /// Hugging Face checkpoint folder (required).
    std::string weights;
    /// "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N".
    std::string device = "auto";
    /// "float32", "bfloat16" (CPU or CUDA) or "float16" (CUDA only).
    std::string dtype = "float32";
    /// Images per forward pass in predict_batch / embed_image.
    int batch_size = 8;
    /// The single detection is dropped when its probability is below this.
    float confidence = 0.0f;

    void validate() const;
  };

  /// IOError for a missing folder or file, InvalidArgument for a config that does not match the
  /// weights (the message lists each tensor with expected vs got shape) or a bad option.
  CLIP(CaptionOntology ontology, Options options);
  ~CLIP() override;

  std::string name() const override { return "clip"; }
  /// Both bases hold the same ontology.
  const CaptionOntology& ontology() const noexcept { return BaseModel::ontology(); }
  Detections predict(const cv::Mat& image) override;
  std::vector<Detections> predict_batch(const std::vector<cv::Mat>& images) override;
  Classifications classify(const cv::Mat& image) override;
  std::vector<Classifications> classify_batch(const std::vector<cv::Mat>& images) override;

  /// (N, projection_dim) normalised image embeddings of 8-bit BGR (gray / BGRA accepted) images.
  EmbeddingMatrix embed_image(const std::vector<cv::Mat>& images);
  /// (M, projection_dim) normalised text embeddings; InvalidArgument for a text longer than the
  /// context (max_position_embeddings tokens with BOS/EOS).
  EmbeddingMatrix embed_text(const std::vector<std::string>& texts);

  const Options& options() const noexcept { return options_; }

  struct Impl;  ///< LibTorch state (see clip_torch.h)
  Impl& impl() { return *impl_; }

 private:
  Options options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autodistill
