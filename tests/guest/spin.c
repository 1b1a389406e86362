/* Spins forever in a tight loop (no system calls): only the instruction budget can stop it. */
int main(void) {
  volatile unsigned n = 0;
  for (;;) n++;
}
