// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkh-guest: a guest that can tell whether it was interrupted.
 *
 * QEMU runs it as its firmware (-bios pkh-guest.bin, 64 KiB); it needs no
 * BIOS, no disk and no kernel, so that it boots in well under a second
 * even under TCG inside a TCG VM.  On its first boot it draws a seed from
 * its own TSC, fills 1 MiB of RAM with a pattern from that seed and puts
 * one word from the same stream in every other 4 KiB page of its RAM, and
 * keeps the checksum of all of it.  Then it counts, forever, in RAM.  Once
 * per RTC second it checks the pattern against the checksum and reports
 * on COM1:
 *
 *   PKH-GUEST report=12 counter=0x00000000012a4f00 boots=1 seed=0x...
 *             sum=0x... memory=intact ram=67108864 rtc=37012 end
 *
 * What only its own running code can produce is all in RAM (state block,
 * pattern, counter), so a restore that lost or changed guest RAM shows up
 * as memory=CHANGED or state=LOST, and a VM that was restarted instead of
 * restored shows boots=2 (the RAM survived, the run did not).  The counter
 * of a VM that continued goes on from where it was.  rtc= is the guest's
 * wall clock (QEMU's RTC follows the host clock, also across a restore), so
 * the gap between two reports is the downtime as the guest sees it.
 *
 * Everything runs from ROM: no writable globals, only the RAM addresses
 * below.
 */
#include <stdint.h>

/*
 * Everything the main loop runs is inlined into it: a restore that lost
 * the RAM also lost the stack, and a return through it would run wild
 * (zeroes, then whatever is mapped) instead of reporting the loss.
 */
#define loop_inline static inline __attribute__((always_inline))

#define STATE_ADDR	0x00010000u	/* struct guest_state */
#define PATTERN_BASE	0x00100000u	/* dense pattern, then sparse words */
#define PATTERN_BYTES	0x00100000u
#define PAGE_BYTES	4096u
#define GUEST_MAGIC	0x474b4850u	/* "PHKG" */
#define CHECK_EVERY	0x3fffu		/* loop iterations between RTC reads */

struct guest_state {
	uint32_t magic;
	uint32_t boots;
	uint32_t seed;
	uint32_t checksum;
	uint32_t ram_bytes;
	uint32_t reports;
	uint32_t last_rtc;
	uint32_t changed_reports;
	uint64_t counter;
};

static volatile struct guest_state *const state =
	(volatile struct guest_state *)STATE_ADDR;

static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;

	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* COM1's transmit register: QEMU takes a byte at any time. */
loop_inline void put_char(char c)
{
	outb(0x3f8, (uint8_t)c);
}

loop_inline void put_str(const char *s)
{
	while (*s)
		put_char(*s++);
}

loop_inline void put_hex(uint32_t value, int digits)
{
	static const char hex_digits[] = "0123456789abcdef";

	while (digits-- > 0)
		put_char(hex_digits[(value >> (digits * 4)) & 0xf]);
}

loop_inline void put_dec(uint32_t value)
{
	char buf[10];
	int n = 0;

	do {
		buf[n++] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	while (n)
		put_char(buf[--n]);
}

loop_inline uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

loop_inline uint32_t from_bcd(uint8_t v, int binary)
{
	return binary ? v : (uint32_t)(v >> 4) * 10 + (v & 0xf);
}

/* Seconds since midnight on the RTC. */
loop_inline uint32_t rtc_seconds_of_day(void)
{
	uint8_t sec, min, hour, reg_b;
	int binary;

	/* Not while the RTC updates its registers (at most ~2 ms). */
	while (cmos_read(0x0a) & 0x80)
		;
	sec = cmos_read(0x00);
	min = cmos_read(0x02);
	hour = cmos_read(0x04);
	reg_b = cmos_read(0x0b);
	binary = reg_b & 0x04;
	if (!(reg_b & 0x02) && (hour & 0x80))	/* 12-hour mode, PM */
		hour = (uint8_t)((from_bcd(hour & 0x7f, binary) % 12 + 12));
	else
		hour = (uint8_t)from_bcd(hour & 0x7f, binary);
	return (uint32_t)hour * 3600 + from_bcd(min, binary) * 60 +
	       from_bcd(sec, binary);
}

/* RAM size as QEMU's pc machine writes it into CMOS. */
static uint32_t cmos_ram_bytes(void)
{
	uint32_t above_16m = cmos_read(0x34) | (uint32_t)cmos_read(0x35) << 8;
	uint32_t ext_kib = cmos_read(0x30) | (uint32_t)cmos_read(0x31) << 8;

	if (above_16m)
		return (16u << 20) + above_16m * 65536u;
	return (ext_kib + 1024u) * 1024u;
}

loop_inline uint32_t xorshift32(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

loop_inline uint32_t mix(uint32_t sum, uint32_t word)
{
	return (sum ^ word) * 0x01000193u;
}

/*
 * Walk the pattern: the dense part, then one word in each later page.
 * With write set, store the stream; always return the checksum of what
 * RAM holds.
 */
loop_inline uint32_t walk_pattern(uint32_t seed, uint32_t ram_bytes, int write)
{
	volatile uint32_t *word;
	uint32_t x = seed, sum = 0x811c9dc5u, addr;

	for (addr = PATTERN_BASE; addr < PATTERN_BASE + PATTERN_BYTES;
	     addr += 4) {
		uint32_t v = xorshift32(&x);

		word = (volatile uint32_t *)addr;
		if (write)
			*word = v;
		sum = mix(sum, *word);
	}
	/* A different word offset in each page, so pages are not alike. */
	for (; addr + PAGE_BYTES <= ram_bytes; addr += PAGE_BYTES) {
		uint32_t v = xorshift32(&x);

		word = (volatile uint32_t *)(addr + (v & (PAGE_BYTES - 4)));
		if (write)
			*word = v;
		sum = mix(sum, *word);
	}
	return sum;
}

loop_inline void report(void)
{
	uint32_t now_rtc = rtc_seconds_of_day();
	uint64_t counter = state->counter;

	state->reports++;
	put_str("PKH-GUEST report=");
	put_dec(state->reports);
	put_str(" counter=0x");
	put_hex((uint32_t)(counter >> 32), 8);
	put_hex((uint32_t)counter, 8);
	if (state->magic != GUEST_MAGIC) {
		/* The state block is gone: guest RAM did not survive. */
		put_str(" state=LOST magic=0x");
		put_hex(state->magic, 8);
	} else {
		uint32_t sum = walk_pattern(state->seed, state->ram_bytes, 0);
		int intact = sum == state->checksum;

		if (!intact)
			state->changed_reports++;
		put_str(" boots=");
		put_dec(state->boots);
		put_str(" seed=0x");
		put_hex(state->seed, 8);
		put_str(" sum=0x");
		put_hex(state->checksum, 8);
		put_str(intact ? " memory=intact" : " memory=CHANGED now=0x");
		if (!intact)
			put_hex(sum, 8);
		put_str(" ram=");
		put_dec(state->ram_bytes);
	}
	put_str(" rtc=");
	put_dec(now_rtc);
	/* COM1 goes out byte by byte: "end" tells a reader the line is whole. */
	put_str(" end\n");
	state->last_rtc = now_rtc;
}

void guest_main(void)
{
	uint32_t seed;

	if (state->magic == GUEST_MAGIC) {
		/* Our RAM is here but we were started again, not restored. */
		state->boots++;
		put_str("PKH-GUEST restarted: boots=");
		put_dec(state->boots);
		put_str("\n");
	} else {
		state->magic = 0;
		state->ram_bytes = cmos_ram_bytes();
		seed = (uint32_t)rdtsc() ^ (rtc_seconds_of_day() << 8);
		state->seed = seed ? seed : 1;
		state->counter = 0;
		state->reports = 0;
		state->changed_reports = 0;
		state->checksum = walk_pattern(state->seed, state->ram_bytes, 1);
		state->boots = 1;
		state->magic = GUEST_MAGIC;
		put_str("PKH-GUEST booted: seed=0x");
		put_hex(state->seed, 8);
		put_str(" ram=");
		put_dec(state->ram_bytes);
		put_str("\n");
	}
	state->last_rtc = rtc_seconds_of_day();

	/*
	 * Everything the loop needs is in RAM or in registers (which a
	 * restore brings back): if RAM were lost, the loop still runs and
	 * reports it.
	 */
	for (;;) {
		state->counter++;
		if ((state->counter & CHECK_EVERY) == 0 &&
		    rtc_seconds_of_day() != state->last_rtc)
			report();
	}
}
