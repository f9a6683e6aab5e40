/*
 * The first user process of dvsim's Linux (docs/linux.md): prints a banner, the CPUs it may run
 * on, and whether KVM works (/dev/kvm opens, answers KVM_GET_API_VERSION and creates a VM), then
 * powers the machine off. With `dvapp=<ops>` on the kernel command line (which the kernel hands
 * init as an environment variable) it first runs the application benchmark, /app (app.c). The test
 * (sim/tests/linux.rs) reads these lines from the console and
 * the clean power-off from dvsim's exit status, so each line says one checkable thing.
 *
 * Built against the kernel's own nolibc (tools/include/nolibc), as a static ELF for rv64imac:
 * there is no C library on the initramfs and the hart has no FPU.
 */

#include <linux/kvm.h>

/* Writes "init: <what>\n" in one write(2), so the line is not split by kernel messages. */
static void say(const char *what)
{
	char buf[160];
	size_t n = 0;

	for (const char *p = "init: "; *p && n < sizeof(buf) - 1; p++)
		buf[n++] = *p;
	for (const char *p = what; *p && n < sizeof(buf) - 1; p++)
		buf[n++] = *p;
	buf[n++] = '\n';
	write(1, buf, n);
}

/* Like say(), with a number appended after `what`. */
static void say_num(const char *what, long v, const char *after)
{
	char line[128];
	size_t n = 0;
	char num[24];

	itoa_r(v, num);
	for (const char *p = what; *p && n < sizeof(line) - 1; p++)
		line[n++] = *p;
	for (const char *p = num; *p && n < sizeof(line) - 1; p++)
		line[n++] = *p;
	for (const char *p = after; *p && n < sizeof(line) - 1; p++)
		line[n++] = *p;
	line[n] = 0;
	say(line);
}

/* The CPUs this process may run on: every CPU Linux brought up, as no affinity was set. */
static long online_cpus(void)
{
	unsigned long mask[4] = { 0 };
	long got = my_syscall3(__NR_sched_getaffinity, 0, sizeof(mask), mask);
	long n = 0;

	if (got < 0)
		return got;
	/* Bit by bit: __builtin_popcountl would call libgcc, which Debian builds for lp64d only. */
	for (unsigned i = 0; i < sizeof(mask) / sizeof(mask[0]); i++)
		for (unsigned long m = mask[i]; m; m &= m - 1)
			n++;
	return n;
}

/* Opens /dev/kvm and asks it two things; prints what happened. */
static void check_kvm(void)
{
	int kvm = open("/dev/kvm", O_RDWR, 0);
	int version, vm;

	if (kvm < 0) {
		say_num("/dev/kvm: cannot open it, errno ", errno, "");
		return;
	}
	version = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (version < 0) {
		say_num("/dev/kvm: KVM_GET_API_VERSION failed, errno ", errno, "");
		return;
	}
	say_num("/dev/kvm: present, API version ", version, "");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		say_num("/dev/kvm: KVM_CREATE_VM failed, errno ", errno, "");
		return;
	}
	say("/dev/kvm: created a VM");
	close(vm);
	close(kvm);
}

/* Runs `/app <ops>` and waits for it; prints how it ended. */
static void run_app(const char *ops, char **envp)
{
	char *argv[] = { "/app", (char *)ops, 0 };
	int status = 0;
	int pid = fork();

	if (pid < 0) {
		say_num("cannot fork the app, errno ", errno, "");
		return;
	}
	if (pid == 0) {
		execve("/app", argv, envp);
		say_num("cannot run /app, errno ", errno, "");
		exit(127);
	}
	waitpid(pid, &status, 0);
	say_num("app exited with status ", status >> 8 & 0xff, "");
}

int main(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	say("dvsim Linux init running");
	say_num("", online_cpus(), " CPUs online");
	/* The initramfs has an empty /dev; devtmpfs fills it with every device the kernel has. */
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, 0) < 0)
		say_num("cannot mount devtmpfs on /dev, errno ", errno, "");
	check_kvm();
	for (char **e = envp; *e; e++)
		if (!strncmp(*e, "dvapp=", 6))
			run_app(*e + 6, envp);
	say("powering off");
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	say_num("power-off failed, errno ", errno, "");
	return 1;
}
