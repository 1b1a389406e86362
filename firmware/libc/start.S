/* Process entry, the system call gate and the signal return trampoline.
 *
 * The kernel starts a static program at _start with the stack holding argc, then argv[],
 * NULL, envp[], NULL, then the auxiliary vector; nothing is in registers. __libc_start
 * (exit.c) gets argc, argv and envp and never returns. */
	.text
	.globl _start
_start:
	xor %ebp, %ebp
	mov (%esp), %eax		/* argc */
	lea 4(%esp), %ecx		/* argv */
	lea 4(%ecx,%eax,4), %edx	/* envp: just past argv's NULL */
	and $-16, %esp			/* the i386 ABI wants a 16-byte aligned stack at calls */
	sub $4, %esp
	push %edx
	push %ecx
	push %eax
	call __libc_start
	hlt

/* long __syscall(nr, a, b, c, d, e, f): Linux i386 passes the number in eax and up to six
 * arguments in ebx, ecx, edx, esi, edi, ebp; the result (or -errno) comes back in eax. */
	.globl __syscall
__syscall:
	push %ebp
	push %edi
	push %esi
	push %ebx
	mov 20(%esp), %eax
	mov 24(%esp), %ebx
	mov 28(%esp), %ecx
	mov 32(%esp), %edx
	mov 36(%esp), %esi
	mov 40(%esp), %edi
	mov 44(%esp), %ebp
	int $0x80
	pop %ebx
	pop %esi
	pop %edi
	pop %ebp
	ret

/* Where a signal handler returns to (sigaction installs it as SA_RESTORER): the kernel's
 * rt_sigreturn (173) takes the signal frame down and resumes the interrupted code. */
	.globl __restore_rt
__restore_rt:
	mov $173, %eax
	int $0x80
	hlt
	.section .note.GNU-stack,"",@progbits
