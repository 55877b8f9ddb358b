// The compact chat template: "<|user|>QUESTION<|assistant|>" then
// "<think>REASONING</think><answer>ANSWER</answer><|endoftext|>".
#include "rl/chat_template.hpp"

namespace r1 {

const std::vector<std::string>& r1_special_tokens() {
  static const std::vector<std::string> tokens = {kEndOfText, "<|user|>", "<|assistant|>", "<think>", "</think>",
                                                  "<answer>", "</answer>"};
  return tokens;
}

std::string format_prompt(const std::string& question) { return "<|user|>" + question + "<|assistant|>"; }

std::string format_response(const std::string& reasoning, const std::string& answer) {
  return "<think>" + reasoning + "</think><answer>" + answer + "</answer>" + kEndOfText;
}

}  // namespace r1
