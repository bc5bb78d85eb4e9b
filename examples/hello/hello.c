/* A small C program the README builds inside the sandbox: it reports what it can see. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  char host[256] = "";
  gethostname(host, sizeof(host));
  printf("hello from %s: uid %d, pid %d\n", host, (int)getuid(), (int)getpid());
  printf("can read ~/.ssh? %s\n", access("/root/.ssh", F_OK) == 0 ? "yes" : "no");
  return 0;
}
