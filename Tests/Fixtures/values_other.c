/* The second file of the values fixture: its own file static named like values.c's. */
static int filelocal = 222;

__attribute__((noinline)) int other_file(void) {
    return filelocal + 1;
}
