#pragma once
// Prompt matching shared by the classical models: they understand a fixed list of prompts, so
// "Person", " person " and "licence  plate" must match their table entries.
#include <cctype>
#include <string>
#include <vector>

namespace autodistill::classical {

/// Lower case, surrounding whitespace removed, inner runs of whitespace collapsed to one space.
inline std::string normalize_prompt(const std::string& prompt) {
  std::string out;
  bool pending_space = false;
  for (unsigned char c : prompt) {
    if (std::isspace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

inline std::string join_quoted(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "'" : ", '") + s + "'";
  return out;
}

}  // namespace autodistill::classical
