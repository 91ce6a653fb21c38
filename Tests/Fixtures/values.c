/* Values as people read them: strings of every character type, complex numbers (also as
   parameters at a function's entry), constants the compiler folded (-O2 keeps them only as
   DW_AT_const_value), and a file static that another file's static of the same name must
   not shadow (values_other.c). */
#include <complex.h>
#include <stdio.h>
#include <uchar.h>
#include <wchar.h>

struct person {
    const char *name;
    char initials[4];
    int age;
};

char greeting[22] = "hello, debugger world";
const char *fruit = "apple";
const char *quoted = "say \"hi\"\n";
wchar_t *wide = L"wide text";
char16_t *sixteen = u"sixteen";
char32_t *thirtytwo = U"thirty-two";
struct person someone = { "Ada Lovelace", "AL", 36 };
float complex cf = 1.0f + 2.0f * I;
double complex cd = 3.0 - 4.0 * I;
long double complex cld = 5.0L + 6.0L * I;
static int filelocal = 111;

int other_file(void);

__attribute__((noinline)) int cfun(float complex z, int a, int b) {
    return (int)crealf(z) + (int)cimagf(z) + a + b;
}

__attribute__((noinline)) int words(const char *text, struct person *who) {
    static const int k203 = 203;
    static const unsigned k40000 = 40000;
    const int local203 = 203;
    return (int)text[0] + who->age + k203 + (int)k40000 + local203 + filelocal;
}

int main(void) {
    printf("%d %d %d\n", cfun(1.0f + 2.0f * I, 7, 8), words(fruit, &someone), other_file());
    return 0;
}
