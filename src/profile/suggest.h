// "Did you mean" suggestions for misspelt keys, mount types and variables.
#ifndef SANDBOX_PROFILE_SUGGEST_H_
#define SANDBOX_PROFILE_SUGGEST_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace sandbox::profile {

/// Levenshtein distance with transpositions (optimal string alignment): inserting, deleting,
/// replacing one character or swapping two adjacent ones each cost 1, so "hostnmae" is one
/// edit from "hostname".
size_t EditDistance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, or "" when none is close: at most one edit for words of
/// up to five characters, two for longer ones. Ties go to the earlier candidate.
std::string Nearest(std::string_view word, std::span<const std::string_view> candidates);

/// "a, b, c".
std::string JoinWords(std::span<const std::string_view> words);

}  // namespace sandbox::profile

#endif  // SANDBOX_PROFILE_SUGGEST_H_
