#include <catch2/catch.hpp>

#include <cstring>
#include <optional>
#include <random>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/io/file_io.h"
#include "autodistill/io/safetensors_torch.h"
#include "autodistill/io/weights_map.h"
#include "test_paths.h"
#include "catch_torch.h"

using namespace autodistill;
namespace fs = std::filesystem;

namespace {

// A file from its header text and data bytes, with the given header length field.
std::string craft(const std::string& header, const std::string& data, std::optional<uint64_t> length = {}) {
  const uint64_t n = length.value_or(header.size());
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string open_error(const fs::path& path) {
  try {
    SafetensorsFile::open(path);
  } catch (const IOError& e) {
    return e.message();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("safetensors round trip for every dtype", "[io][safetensors]") {
  test::TempDir dir("st_roundtrip");
  const std::vector<at::ScalarType> types = {at::kDouble, at::kFloat, at::kHalf, at::kBFloat16, at::kLong,
                                             at::kInt,    at::kShort, at::kChar, at::kByte,     at::kBool};
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (size_t i = 0; i < types.size(); ++i) {
    at::Tensor t = (at::arange(24, at::kDouble).reshape({2, 3, 4}) * 1.5 - 7).to(types[i]);
    if (types[i] == at::kBool) t = at::arange(24).reshape({2, 3, 4}).remainder(3).eq(0);
    tensors.emplace_back("t" + std::to_string(i), t.transpose(0, 2));  // non-contiguous on purpose
  }
  tensors.emplace_back("empty", at::zeros({0, 3}));
  tensors.emplace_back("scalar", at::scalar_tensor(3.5));
  const fs::path path = dir / "all.safetensors";
  save_safetensors(path, tensors, {{"format", "pt"}, {"note", "ünïcode \"quoted\""}});

  const auto file = SafetensorsFile::open(path);
  const std::map<std::string, std::string> expected_meta = {{"format", "pt"}, {"note", "ünïcode \"quoted\""}};
  CHECK(file.metadata() == expected_meta);
  CHECK(file.size() == tensors.size());
  for (const auto& [name, t] : tensors) {
    INFO(name);
    const at::Tensor back = file.tensor(name);
    CHECK(back.scalar_type() == t.scalar_type());
    CHECK(back.sizes() == t.sizes());
    CHECK(at::equal(back, t.contiguous()));
    CHECK(file.raw(name).size == static_cast<size_t>(t.numel() * t.element_size()));
  }
  // Names are in file order: dtype descending (F64, I64 first) then name, as the reference writer.
  CHECK(file.names().front() == "t4");  // I64
  CHECK(file.info("t0").dtype == SafetensorsDtype::F64);
  CHECK_THROWS_AS(file.info("missing"), IOError);
}

TEST_CASE("safetensors tensors outlive the file object and never write to the file", "[io][safetensors]") {
  test::TempDir dir("st_outlive");
  const fs::path path = dir / "a.safetensors";
  save_safetensors(path, {{"w", at::arange(6, at::kFloat)}});
  const std::string before = read_text_file(path);
  at::Tensor t;
  {
    auto file = SafetensorsFile::open(path);
    t = file.tensor("w");
  }
  CHECK(t[5].item<float>() == 5.0f);
  t.add_(1);  // copy-on-write mapping
  CHECK(t[5].item<float>() == 6.0f);
  CHECK(read_text_file(path) == before);
}

TEST_CASE("safetensors writer output is byte-identical to the reference writer", "[io][safetensors]") {
  // The fixture was written by Python safetensors; reading and re-writing must give the same bytes.
  const fs::path src = test::fixtures_dir() / "clip" / "model.safetensors";
  const auto file = SafetensorsFile::open(src);
  const auto manifest = nlohmann::json::parse(read_text_file(test::fixtures_dir() / "clip" / "manifest.json"));
  auto names = file.names();
  std::sort(names.begin(), names.end());
  CHECK(names == manifest["weights"]["names"].get<std::vector<std::string>>());
  test::TempDir dir("st_ident");
  save_safetensors(dir / "copy.safetensors", load_safetensors(file), file.metadata());
  CHECK(read_text_file(dir / "copy.safetensors") == read_text_file(src));
}

TEST_CASE("safetensors opens every shared model fixture", "[io][safetensors][shared]") {
  for (const char* model : {"clip", "owlvit", "owlv2", "grounding_dino"}) {
    for (const char* part : {"model", "inputs", "outputs", "preprocess"}) {
      const fs::path p = test::shared_dir() / "fixtures" / model / (std::string(part) + ".safetensors");
      test::skip_unless_exists(p);
      INFO(p.string());
      const auto f = SafetensorsFile::open(p);
      for (const auto& name : f.names()) CHECK(f.tensor(name).numel() == f.info(name).numel());
    }
  }
}

TEST_CASE("safetensors rejects malformed files with a message naming the problem", "[io][safetensors]") {
  const std::string t4 = R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  struct Row {
    const char* what;
    std::string bytes;
    const char* expected;  // substring of the message
  };
  const std::vector<Row> rows = {
      {"empty file", "", "too small"},
      {"7 bytes", std::string(7, '\0'), "too small"},
      {"header beyond the file", craft("{}", "", 100), "beyond the file size"},
      {"absurd header length", craft("{}", "", uint64_t{1} << 62), "exceeds"},
      {"not JSON", craft("{oops", ""), "not valid JSON"},
      {"not an object", craft("[1,2]", ""), "must be a JSON object"},
      {"entry not an object", craft(R"({"a":3})", ""), "tensor 'a': entry must be an object"},
      {"missing dtype", craft(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", "xxxx"), "tensor 'a': missing 'dtype'"},
      {"dtype not a string", craft(R"({"a":{"dtype":1,"shape":[1],"data_offsets":[0,4]}})", "xxxx"),
       "'dtype' must be a string"},
      {"unknown dtype", craft(R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}})", "xxxx"),
       "tensor 'a': unsupported dtype 'Q4'"},
      {"missing shape", craft(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", "xxxx"), "missing 'shape'"},
      {"shape not an array", craft(R"({"a":{"dtype":"F32","shape":4,"data_offsets":[0,4]}})", "xxxx"),
       "'shape' must be an array"},
      {"negative dim", craft(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "xxxx"),
       "non-negative integers"},
      {"fractional dim", craft(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", "xxxx"),
       "non-negative integers"},
      {"overflowing shape",
       craft(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", "xxxx"), "overflows"},
      {"missing offsets", craft(R"({"a":{"dtype":"F32","shape":[1]}})", "xxxx"), "missing 'data_offsets'"},
      {"offsets ill-typed", craft(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", "xxxx"),
       "two non-negative integers"},
      {"begin after end", craft(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", "xxxx"),
       "begin after end"},
      {"size mismatch", craft(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "xxxx"),
       "hold 4 bytes but F32 [2] needs 8"},
      {"offsets out of range", craft("{" + t4 + "}", "xx"), "beyond the data buffer"},
      {"trailing bytes", craft("{" + t4 + "}", "xxxxyy"), "cover 4 bytes but the data buffer holds 6"},
      {"gap", craft(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", "xxxxxxxx"), "leave a gap"},
      {"overlap",
       craft("{" + t4 + R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})", "xxxxxx"),
       "overlap tensor 'a'"},
      {"metadata not strings", craft(R"({"__metadata__":{"k":1}})", ""), "__metadata__ value 'k' must be a string"},
  };
  test::TempDir dir("st_bad");
  for (const auto& row : rows) {
    INFO(row.what);
    const fs::path p = dir / "bad.safetensors";
    write_file_atomic(p, row.bytes);
    const std::string msg = open_error(p);
    CHECK_THAT(msg, Catch::Contains(row.expected));
    CHECK_THAT(msg, Catch::Contains("bad.safetensors"));
  }
  CHECK_THAT(open_error(dir / "absent.safetensors"), Catch::Contains("absent.safetensors"));
  // A well-formed file with header padding and an explicit null __metadata__ opens.
  write_file_atomic(dir / "ok.safetensors", craft(R"({"__metadata__":null,)" + t4 + "}   ", "xxxx"));
  CHECK(SafetensorsFile::open(dir / "ok.safetensors").names() == std::vector<std::string>{"a"});
  // Unrepresentable dtypes open (validated) but cannot become LibTorch tensors.
  write_file_atomic(dir / "u16.safetensors", craft(R"({"u":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}})", "xxxx"));
  const auto u16 = SafetensorsFile::open(dir / "u16.safetensors");
  CHECK_THROWS_WITH(u16.tensor("u"), Catch::Contains("tensor 'u': dtype U16"));
}

TEST_CASE("safetensors survives 2000 mutated and truncated files", "[io][safetensors][fuzz]") {
  test::TempDir dir("st_fuzz");
  const fs::path good = dir / "good.safetensors";
  save_safetensors(good, {{"a", at::arange(12, at::kFloat).reshape({3, 4})}, {"b", at::arange(5, at::kLong)},
                          {"c", at::ones({2}, at::kHalf)}},
                   {{"format", "pt"}});
  const std::string original = read_text_file(good);
  std::mt19937 rng(1234);
  int opened = 0, rejected = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string bytes = original;
    const int mode = iter % 4;
    if (mode == 0) {
      bytes.resize(rng() % bytes.size());
    } else {
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) {
        // Mostly hit the length field and header, where parsing happens.
        const size_t limit = mode == 3 ? bytes.size() : std::min<size_t>(bytes.size(), 8 + 200);
        bytes[rng() % limit] = static_cast<char>(mode == 2 ? "0123456789[]{},:\"-"[rng() % 18] : rng() % 256);
      }
    }
    const fs::path p = dir / "fuzz.safetensors";
    write_file_atomic(p, bytes);
    try {
      const auto f = SafetensorsFile::open(p);
      for (const auto& name : f.names()) {
        try {
          (void)f.tensor(name).sum();
        } catch (const IOError&) {
        }
      }
      ++opened;
    } catch (const IOError&) {
      ++rejected;
    }
  }
  CHECK(opened + rejected == 2000);
  CHECK(rejected > 0);
}


TEST_CASE("load_state_dict copies matching tensors and lists every mismatch", "[io][weights]") {
  test::TempDir dir("weights");
  const fs::path path = dir / "w.safetensors";
  save_safetensors(path, {{"model.lin.weight", at::arange(6, at::kDouble).reshape({2, 3})},
                          {"model.lin.bias", at::ones({2})},
                          {"model.extra", at::ones({1})},
                          {"model.position_ids", at::arange(3)}});
  const auto file = SafetensorsFile::open(path);

  SECTION("renames, ignores and dtype conversion") {
    const at::Tensor w = at::zeros({2, 3}), bias = at::zeros({2});
    std::vector<std::pair<std::string, at::Tensor>> params = {{"lin.weight", w}, {"lin.bias", bias}};
    WeightsLoadOptions opt;
    opt.renames = {{"model.", ""}};
    opt.ignore_unexpected = {"extra", "position_ids"};
    const auto report = load_state_dict(params, file, opt);
    CHECK(report.loaded.size() == 2);
    CHECK(report.ignored.size() == 2);
    CHECK(w[1][2].item<float>() == 5.0f);
    CHECK(bias.sum().item<float>() == 2.0f);
  }
  SECTION("all problems in one message") {
    std::vector<std::pair<std::string, at::Tensor>> params = {{"model.lin.weight", at::zeros({3, 2})},
                                                              {"model.lin.bias", at::zeros({2})},
                                                              {"model.missing", at::zeros({4, 4})}};
    try {
      load_state_dict(params, file);
      FAIL("expected IOError");
    } catch (const IOError& e) {
      const std::string m = e.message();
      CHECK_THAT(m, Catch::Contains("w.safetensors"));
      CHECK_THAT(m, Catch::Contains("missing (1):\n    model.missing [4, 4]"));
      CHECK_THAT(m, Catch::Contains("unexpected (2):"));
      CHECK_THAT(m, Catch::Contains("model.extra"));
      CHECK_THAT(m, Catch::Contains("model.position_ids"));
      CHECK_THAT(m, Catch::Contains("model.lin.weight expected [3, 2] got [2, 3]"));
    }
  }
  SECTION("strict dtype") {
    std::vector<std::pair<std::string, at::Tensor>> params = {{"model.lin.weight", at::zeros({2, 3})}};
    WeightsLoadOptions opt;
    opt.convert_dtype = false;
    opt.ignore_unexpected = {"model."};
    CHECK_THROWS_WITH(load_state_dict(params, file, opt), Catch::Contains("model.lin.weight expected Float got F64"));
  }
}
