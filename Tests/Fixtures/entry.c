/* -O2: middle never uses n, so no register keeps it; its value at entry is known only from
   main's call site (DW_OP_entry_value, resolved through DW_TAG_call_site). */
__attribute__((noinline)) int leaf(int x) {
    __asm__ volatile("" ::: "memory");
    return x * 3;
}

__attribute__((noinline)) int middle(int n) {
    __asm__ volatile("" ::: "memory");
    return leaf(5) + 1;
}

int main(void) {
    return middle(41) == 16 ? 0 : 1;
}
