/* An inline function in a header, copied into every module that includes it: one source line,
   locations in the program and in a library it loads later. */
__attribute__((always_inline)) static inline int clamp(int value, int low, int high) {
    int result = value < low ? low : value;
    return result > high ? high : result;
}
