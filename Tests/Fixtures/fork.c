/* Parent and a forked child both call work(): the child is not debugged and must not die
   from the int3 it inherits; a vfork-style posix_spawn of /bin/true must work too. */
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

__attribute__((noinline)) int work(int value) { return value * 2 + 1; }

int main(void) {
    pid_t child = fork();
    if (child == 0) {
        int sum = 0;
        for (int i = 0; i < 5; i++) sum += work(i);
        _exit(sum);  /* 1 + 3 + 5 + 7 + 9 = 25 */
    }
    int status = 0;
    waitpid(child, &status, 0);
    pid_t spawned;
    char *argv[] = {"true", NULL};
    int spawnResult = posix_spawn(&spawned, "/bin/true", NULL, NULL, argv, environ);
    int spawnStatus = -1;
    if (spawnResult == 0) waitpid(spawned, &spawnStatus, 0);
    printf("child exited=%d code=%d parent=%d spawn=%d\n", WIFEXITED(status), WEXITSTATUS(status), work(10), spawnStatus);
    return 0;
}
