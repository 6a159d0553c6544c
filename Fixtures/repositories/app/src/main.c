#include <stdio.h>

int main(void) {
    printf("hello from the fixture\n");
    return 0;
}
