/* A library the plugin_host fixture loads with dlopen: deferred breakpoints by source line. */
int plugin_calls;

int plugin_compute(int value) {
    plugin_calls++;
    int doubled = value * 2;
    return doubled + 1;
}
