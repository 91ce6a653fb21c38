/* work() is called 20,000 times while a 1 ms interval timer interrupts it with SIGALRM:
   breakpoint counts must stay exact and steps must not wander into the handler. */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
volatile long n, h;
void onalrm(int s) { h++; }
__attribute__((noinline)) long work(long i) { n++; return i * 2; }
int main() {
  signal(SIGALRM, onalrm);
  struct itimerval t = {{0, 1000}, {0, 1000}};
  setitimer(ITIMER_REAL, &t, 0);
  long s = 0;
  for (long i = 0; i < 20000; i++) s += work(i);
  printf("calls=%ld handler=%ld\n", n, h);
  return 0;
}
