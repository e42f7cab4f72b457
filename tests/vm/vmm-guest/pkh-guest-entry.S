/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reset vector and the switch to 32-bit protected mode (flat segments,
 * paging off).  At reset CS has base 0xffff0000 and IP 0xfff0, so the
 * whole 64 KiB image is reachable with 16-bit offsets from CS; the
 * linker script puts real_mode_start first, at 0xffff0000, so offsets
 * from it are offsets from CS.
 */
#define STACK_TOP	0x00090000

	.section .text16, "ax"
	.code16
	.globl	real_mode_start
real_mode_start:
	cli
	cld
	/* The descriptor is read through CS: DS is not set up yet. */
	lgdtl	%cs:(gdt_descriptor - real_mode_start)
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $protected_mode_start

	.code32
protected_mode_start:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
	movl	$STACK_TOP, %esp
	call	guest_main
1:	hlt
	jmp	1b

	.balign 8
gdt:
	.quad	0x0000000000000000
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code, base 0, 4 GiB */
	.quad	0x00cf92000000ffff	/* 0x10: data, base 0, 4 GiB */
gdt_descriptor:
	.word	gdt_descriptor - gdt - 1
	.long	gdt

	.section .reset, "ax"
	.code16
reset_vector:
	.globl	reset_vector
	jmp	real_mode_start

	.section .note.GNU-stack, "", @progbits
