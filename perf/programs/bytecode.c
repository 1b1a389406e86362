/* A switch-dispatch bytecode interpreter (an indirect jump per virtual instruction). */
#include <stdio.h>
#include <stdlib.h>
enum { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, JNZ, JMP, DUP, DROP, LT, HALT };
static int run(const int *code, long long *out) {
  int stack[64], sp = 0, pc = 0, vars[8] = {0};
  for (;;) {
    switch (code[pc++]) {
      case PUSH: stack[sp++] = code[pc++]; break;
      case LOAD: stack[sp++] = vars[code[pc++]]; break;
      case STORE: vars[code[pc++]] = stack[--sp]; break;
      case ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
      case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
      case JNZ: if (stack[--sp]) pc = code[pc]; else pc++; break;
      case JMP: pc = code[pc]; break;
      case DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case DROP: sp--; break;
      case HALT: *out = vars[1]; return vars[0];
    }
  }
}
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000000;
  /* i = 0; acc = 0; while (i < n) { acc = (acc * 31 + i) % 1000003; i = i + 1; } */
  int code[] = {PUSH, 0, STORE, 0, PUSH, 0, STORE, 1,
    /* 8 */ LOAD, 0, PUSH, n, LT, JNZ, 16, HALT,
    /* 16 */ LOAD, 1, PUSH, 31, MUL, LOAD, 0, ADD, PUSH, 1000003, MOD, STORE, 1,
    /* 29 */ LOAD, 0, PUSH, 1, ADD, STORE, 0, JMP, 8};
  long long acc;
  int i = run(code, &acc);
  printf("%d %lld\n", i, acc);
  return 0;
}
