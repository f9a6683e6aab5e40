/*
 * `app <ops>`: a small application benchmark in the spirit of the paper's Fig. 8 (a tiny
 * hackbench), run inside the Linux guest under DuVisor and under Linux KVM (docs/hypervisor.md,
 * "Application benchmark"). One operation is:
 *   - a round trip of one byte between two processes over two pipes: four system calls and two
 *     wake-ups of a sleeping process, which with two CPUs is an IPI from one vCPU to the other;
 *   - the first touch of a fresh anonymous page: a page fault in the guest (and, when the guest
 *     physical page was never used before, a stage-2 fault in the hypervisor);
 *   - a 20 us sleep: a guest timer programmed, the CPU idle, the timer interrupt.
 * The parent runs on CPU 0 and the child on the last CPU. init (init.c) runs it when the kernel
 * command line has `dvapp=<ops>`; the runner measures it from outside with `ops` and `2 ops`.
 *
 * Built against the kernel's own nolibc, as init is.
 */

#include <linux/time.h>

static void say(const char *what, long v)
{
	char buf[96];
	char num[24];
	size_t n = 0;

	itoa_r(v, num);
	for (const char *p = "app: "; *p; p++)
		buf[n++] = *p;
	for (const char *p = what; *p && n < sizeof(buf) - 26; p++)
		buf[n++] = *p;
	for (const char *p = num; *p; p++)
		buf[n++] = *p;
	buf[n++] = '\n';
	write(1, buf, n);
}

/* Pins the calling process to `cpu`; returns 0 or -errno. */
static long pin(long cpu)
{
	unsigned long mask[4] = { 0 };

	mask[cpu / 64] = 1UL << (cpu % 64);
	return my_syscall3(__NR_sched_setaffinity, 0, sizeof(mask), mask);
}

static long cpus(void)
{
	unsigned long mask[4] = { 0 };
	long n = 0;

	if (my_syscall3(__NR_sched_getaffinity, 0, sizeof(mask), mask) < 0)
		return 1;
	for (unsigned i = 0; i < sizeof(mask) / sizeof(mask[0]); i++)
		for (unsigned long m = mask[i]; m; m &= m - 1)
			n++;
	return n;
}

/* The child: echoes every byte back until the parent closes its pipe. */
static int echo(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	long ops = argc > 1 ? atol(argv[1]) : 0;
	int down[2], up[2];
	struct timespec nap = { 0, 20000 };
	char *pages;
	int pid, status = 0;
	long ncpu = cpus();

	if (ops <= 0 || ops > 100000) {
		say("usage: app <ops>, 1..100000; got ", ops);
		return 2;
	}
	if (my_syscall2(__NR_pipe2, down, 0) < 0 || my_syscall2(__NR_pipe2, up, 0) < 0) {
		say("pipe2 failed, errno ", errno);
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		say("fork failed, errno ", errno);
		return 1;
	}
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		pin(ncpu - 1);
		return echo(down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	pin(0);
	pages = (char *)my_syscall6(__NR_mmap, 0, ops * 4096, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((long)pages < 0 && (long)pages > -4096) {
		say("mmap failed, errno ", -(long)pages);
		return 1;
	}
	say("start, CPUs ", ncpu);
	for (long i = 0; i < ops; i++) {
		char c = (char)i;

		if (write(down[1], &c, 1) != 1 || read(up[0], &c, 1) != 1 || c != (char)i) {
			say("the round trip failed at op ", i);
			return 1;
		}
		pages[i * 4096] = c;
		my_syscall2(__NR_nanosleep, &nap, 0);
	}
	close(down[1]);
	waitpid(pid, &status, 0);
	if (status != 0) {
		say("the echo process failed, status ", status);
		return 1;
	}
	say("done, ops ", ops);
	return 0;
}
