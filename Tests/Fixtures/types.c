/* Structs, unions, bitfields, enums, arrays and a linked list for dt and dv. */
#include <stdio.h>

enum color { RED, GREEN = 5, BLUE };

struct flags {
    unsigned ready : 1;
    unsigned mode : 3;
    int level : 4;
};

union number {
    int integer;
    float real;
};

struct node {
    int value;
    struct node *next;
};

struct record {
    char tag;
    short count;
    long total;
    double ratio;
    int samples[4];
    struct flags flags;
    union number number;
    enum color color;
    struct node *list;
};

struct record global_record;
struct node nodes[3];

__attribute__((noinline)) int inspect(struct record *record) {
    return record->count + record->samples[2];
}

int main(void) {
    for (int i = 0; i < 3; i++) {
        nodes[i].value = (i + 1) * 10;
        nodes[i].next = i < 2 ? &nodes[i + 1] : 0;
    }
    struct record local = { 'x', 7, 123456789L, 0.5, { 1, 2, 3, 4 }, { 1, 5, -3 }, { .integer = 42 }, BLUE, &nodes[0] };
    global_record = local;
    global_record.count = 9;
    printf("%d\n", inspect(&local));
    return 0;
}

/* A circular doubly linked list with the links first, as dl walks it (LIST_ENTRY style). */
struct entry {
    struct entry *next;
    struct entry *prev;
    long id;
};

struct entry ring[3] = { { &ring[1], &ring[2], 1 }, { &ring[2], &ring[0], 2 }, { &ring[0], &ring[1], 3 } };

/* Bitfields as wide as their type, and packed ones that straddle storage units. */
struct wide {
    unsigned long all : 64;
    long negative : 63;
};

struct __attribute__((packed)) straddle {
    unsigned char pad;
    unsigned low : 7;
    unsigned middle : 30;
    long high : 40;
};

struct wide wide_bits = { 0xffffffffffffffffUL, -5 };
struct straddle straddling = { 1, 0x55, 0x2aaaaaaa, -7 };
int matrix[2][3] = { { 1, 2, 3 }, { 4, 5, 6 } };
long double precise = 1.5L;
unsigned char bytes[2] = { 200, 255 };
double third = 1.0 / 3;
