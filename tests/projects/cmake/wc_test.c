#include <stdio.h>

#include "wc.h"

int main(void) {
  if (count_words("  one two\tthree\n") != 3 || count_words("") != 0) {
    fprintf(stderr, "count_words is wrong\n");
    return 1;
  }
  return 0;
}
