// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkh-systemd-kexec: the last step of `systemctl kexec`, as systemd 252
 * (Debian bookworm) does it, for the VM test systemctl-kexec-sequence.
 *
 * systemctl kexec loads nothing when /sys/kernel/kexec_loaded is 1; it
 * starts kexec.target, and once every service is stopped and every file
 * system unmounted, systemd-shutdown (src/shutdown/shutdown.c) does:
 *
 *	sync();
 *	case LINUX_REBOOT_CMD_KEXEC:
 *		r = safe_fork("(sd-kexec)", ...FORK_WAIT);
 *		if (r == 0) {
 *			execv(KEXEC, { KEXEC, "-e", NULL });
 *			// kexec binary missing: try simply reboot(RB_KEXEC)
 *			(void) reboot(cmd);
 *			_exit(EXIT_FAILURE);
 *		}
 *		// still running: the kexec did not work; a normal reboot follows
 *
 * This program does the same.  KEXEC is its argument; the test passes a
 * path that does not exist, so the child calls reboot(LINUX_REBOOT_CMD_KEXEC)
 * itself: the loaded kernel is booted without any kexec binary taking part.
 * Where systemd would fall back to a normal reboot, it reports the failure
 * and exits 1 instead.  It also refuses to start, as a reminder of what
 * systemctl kexec would do instead, when no kernel is loaded.
 *
 * Usage: pkh-systemd-kexec KEXEC_BINARY
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/reboot.h>

static int kexec_loaded(void)
{
	char c = 0;
	FILE *f = fopen("/sys/kernel/kexec_loaded", "re");

	if (!f)
		return 0;
	if (fread(&c, 1, 1, f) != 1)
		c = 0;
	fclose(f);
	return c == '1';
}

int main(int argc, char **argv)
{
	int status = 0;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: pkh-systemd-kexec KEXEC_BINARY\n");
		return 2;
	}
	if (!kexec_loaded()) {
		fprintf(stderr, "pkh-systemd-kexec: /sys/kernel/kexec_loaded is not 1: "
				"systemctl kexec would load the boot loader's default entry, "
				"without a handover\n");
		return 1;
	}

	sync();
	fprintf(stderr, "pkh-systemd-kexec: Rebooting with kexec.\n");
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "pkh-systemd-kexec: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		execl(argv[1], argv[1], "-e", (char *)NULL);
		fprintf(stderr, "pkh-systemd-kexec: cannot execute %s (%s), "
				"proceeding with reboot(LINUX_REBOOT_CMD_KEXEC)\n",
			argv[1], strerror(errno));
		reboot(LINUX_REBOOT_CMD_KEXEC);
		fprintf(stderr, "pkh-systemd-kexec: reboot(LINUX_REBOOT_CMD_KEXEC): %s\n",
			strerror(errno));
		_exit(EXIT_FAILURE);
	}
	if (waitpid(pid, &status, 0) < 0)
		fprintf(stderr, "pkh-systemd-kexec: waitpid: %s\n", strerror(errno));
	fprintf(stderr, "pkh-systemd-kexec: the kexec did not happen (child status %d); "
			"systemd would reboot normally now\n", status);
	return 1;
}
