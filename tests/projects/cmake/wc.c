#include "wc.h"

#include <ctype.h>

int count_words(const char* text) {
  int words = 0;
  int in_word = 0;
  for (; *text; ++text) {
    if (isspace((unsigned char)*text)) {
      in_word = 0;
    } else if (!in_word) {
      in_word = 1;
      ++words;
    }
  }
  return words;
}
