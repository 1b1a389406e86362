/* oracle: i386: the program is about the i386 CPU or ABI itself (tests/helpers/oracle.ts). */
/* A guest without libc: write(2) and exit(2) through int 0x80. If this differs, the problem is
 * in ELF loading or the two most basic system calls, not in glibc's start-up. */
        .section .rodata
msg:    .ascii "hello from int 0x80\n"
        .set msglen, . - msg

        .text
        .globl _start
_start:
        movl $4, %eax           /* write */
        movl $1, %ebx           /* stdout */
        movl $msg, %ecx
        movl $msglen, %edx
        int $0x80
        movl $1, %eax           /* exit */
        movl $3, %ebx
        int $0x80
