/* -O2: middle never uses n, so no register keeps it; its value at entry is known only from
   main's call site (DW_OP_entry_value, resolved through DW_TAG_call_site). main's argc
   survives the call in rbx, which the callees leave alone. */
__attribute__((noipa)) int leaf(int x) {
    __asm__ volatile("" ::: "memory");
    return x * 3;
}

__attribute__((noipa)) int middle(int n) {
    __asm__ volatile("" ::: "memory");
    return leaf(5) + 1;
}

int main(int argc, char **argv) {
    (void)argv;
    int result = middle(41);
    return result + argc == 17 ? 0 : 1;  /* argc lives across the call in a callee-saved register */
}
