#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "autodistill/core/error.h"
#include "autodistill/ontology/caption_ontology.h"
#include "test_paths.h"

using namespace autodistill;

TEST_CASE("class ids follow the first appearance of each class", "[ontology]") {
  const CaptionOntology o({{"person", "human"}, {"car", "vehicle"}, {"man", "human"}, {"truck", "vehicle"}});
  CHECK(o.classes() == std::vector<std::string>{"human", "vehicle"});
  CHECK(o.prompt_class_ids() == std::vector<int64_t>{0, 1, 0, 1});
  CHECK(o.class_for_prompt("truck") == "vehicle");
  CHECK(o.class_id("vehicle") == 1);
  CHECK(o.class_id("dog") == -1);
  const auto c2p = o.class_to_prompts();
  REQUIRE(c2p.size() == 2);
  CHECK(c2p[0].second == std::vector<std::string>{"person", "man"});
}

TEST_CASE("ontology JSON keeps key order and round-trips through a file", "[ontology]") {
  // Keys deliberately not alphabetical: a std::map-backed parser would reorder them.
  const CaptionOntology o = CaptionOntology::from_json(R"({"zebra": "animal", "apple": "fruit", "yak": "animal"})");
  CHECK(o.prompts() == std::vector<std::string>{"zebra", "apple", "yak"});
  CHECK(o.classes() == std::vector<std::string>{"animal", "fruit"});
  test::TempDir dir("ontology");
  o.save(dir / "o.json");
  CHECK(CaptionOntology::load(dir / "o.json") == o);
  CHECK(CaptionOntology::from_json(R"([["a", "x"], {"prompt": "b", "class": "y"}])").classes() ==
        std::vector<std::string>{"x", "y"});
}

TEST_CASE("malformed ontologies are InvalidArgument naming the problem", "[ontology]") {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {"{}", "ontology is empty"},
      {"[]", "ontology is empty"},
      {"{\"person\": 3}", "the class of prompt 'person' must be a string"},
      {"{\"\": \"x\"}", "the prompt is empty"},
      {"{\"dog\": \"  \"}", "class name is empty"},
      {"[[\"a\"]]", "entry 0 must be [prompt, class]"},
      {"[{\"prompt\": \"a\"}]", "must have \"prompt\" and \"class\""},
      {"[\"a\", \"b\"]", "entry 0 must be"},
      {"42", "expected an object"},
      {"{\"a\": ", "not valid JSON"},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    CHECK_THROWS_AS(CaptionOntology::from_json(c.json), InvalidArgument);
    CHECK_THROWS_WITH(CaptionOntology::from_json(c.json), Catch::Contains(c.message));
  }
  CHECK_THROWS_WITH(CaptionOntology({{"a", "x"}, {"a", "y"}}), Catch::Contains("prompt 'a' appears more than once"));
}

TEST_CASE("loading an ontology file names the file on error", "[ontology]") {
  test::TempDir dir("ontology_bad");
  CHECK_THROWS_AS(CaptionOntology::load(dir / "missing.json"), IOError);
  CHECK_THROWS_WITH(CaptionOntology::load(dir / "missing.json"), Catch::Contains("missing.json"));
  std::ofstream(dir / "bad.json") << "{\"a\": 1}";
  CHECK_THROWS_WITH(CaptionOntology::load(dir / "bad.json"), Catch::Contains("bad.json"));
}
