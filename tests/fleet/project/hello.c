#include <stdio.h>

int main(void) {
  puts("hello from the fleet");
  return 0;
}
