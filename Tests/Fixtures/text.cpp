// Text of every C++ character type (char8_t needs -std=c++20): ?? and dv show it as gdb prints it.
#include <cstdio>
const char8_t *eight = u8"eight";
const char16_t *sixteen = u"sixteen";
const char32_t *thirtytwo = U"thirty-two";
const wchar_t *wide = L"wide";
char8_t letters[6] = u8"abcde";
int main() { std::printf("%d\n", (int)eight[0] + (int)letters[0]); return 0; }
