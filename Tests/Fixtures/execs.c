/* Replaces itself with the program named on its command line: an exec in the debugged
   process (the remote tests follow it through gdbserver's exec event). */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    printf("execs: running %s\n", argv[1]);
    fflush(stdout);
    execv(argv[1], argv + 1);
    perror("execs");
    return 1;
}
