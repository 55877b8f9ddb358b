// Tokenizer identity: hash of the encoding-relevant sections of the tokenizer's own tokenizer.json.
#include "io/formats/dataset_tokenizer_identity.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/formats/sha256.hpp"

namespace r1 {

namespace {

// A unique temporary file, removed when dropped.
class TemporaryFile {
 public:
  TemporaryFile() {
    std::string pattern = (std::filesystem::temp_directory_path() / "r1-tokenizer-XXXXXX").string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    int fd = mkstemp(name.data());
    R1_CHECK(fd >= 0, "tokenizer identity: cannot create a temporary file from ", pattern);
    ::close(fd);
    path_ = name.data();
  }
  ~TemporaryFile() { std::remove(path_.c_str()); }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TokenizerIdentity tokenizer_identity(const Tokenizer& tokenizer) {
  TemporaryFile file;
  tokenizer.save(file.path());
  std::ifstream in(file.path());
  R1_CHECK(in, "tokenizer identity: cannot read back ", file.path());
  nlohmann::json saved = nlohmann::json::parse(in);
  // nlohmann::json (not ordered_json) keeps object keys sorted, so the dump is canonical.
  nlohmann::json relevant = {{"added_tokens", saved.at("added_tokens")},
                             {"pre_tokenizer", saved.at("pre_tokenizer")},
                             {"model", saved.at("model")}};
  TokenizerIdentity identity;
  identity.sha256 = sha256_hex(relevant.dump());
  identity.vocab_size = tokenizer.vocab_size();
  return identity;
}

}  // namespace r1
