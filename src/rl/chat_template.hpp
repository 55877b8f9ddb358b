// Prompt and response text around a problem: the compact chat template of the tiny configs and the
// tags the format reward checks (<think>…</think><answer>…</answer>).
#pragma once
#include <string>
#include <vector>

namespace r1 {

// Special tokens every r1 tokenizer carries (added when a loaded tokenizer lacks them).
const std::vector<std::string>& r1_special_tokens();
constexpr const char* kEndOfText = "<|endoftext|>";

std::string format_prompt(const std::string& question);
std::string format_response(const std::string& reasoning, const std::string& answer);

}  // namespace r1
