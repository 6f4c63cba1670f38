/*
 * sandrun-init: pid 1 of every sandbox. Freestanding static ELF, no libc; run from a sealed memfd.
 *
 * Why: a namespace's pid 1 is protected by the kernel, so a payload running as pid 1 could not signal
 * itself (kill $$, abort()). This init forks the payload as pid 2, reaps every orphan, and when the
 * payload ends writes {2, wait status} to fd 3 and exits; the kernel then kills whatever is left.
 * If exec of the payload fails, the payload child writes {1, errno} to fd 3 instead; if it cannot
 * drop to the job's identity, {3, errno}, and the payload never runs.
 *
 * The reported status is the job's result, so the payload must not be able to touch this process:
 * init runs as the sandbox's uid 0 (a host uid of its own) holding only CAP_SETUID, CAP_SETGID and
 * CAP_SETPCAP in the job's user namespace, and makes itself non-dumpable before the payload exists.
 * The payload runs as JOB_UID with no capabilities, so ptrace access checks (/proc/1/mem, /proc/1/fd)
 * and kill() permission checks fail for it. The child drops those three capabilities from its
 * bounding set and changes uid/gid; leaving uid 0 clears its permitted and effective sets.
 *
 * argv: sandrun-init PATH ARGV0 ARGV1...   (envp is passed through)
 * Build: build-blob.sh (reproducible; embedded in Sandrun.Linux and checked by a test).
 */

typedef long i64;

#if defined(__x86_64__)
#define NR_write 1
#define NR_fcntl 72
#define NR_wait4 61
#define NR_execve 59
#define NR_exit_group 231
#define NR_clone 56
#define NR_prctl 157
#define NR_setgroups 116
#define NR_setresuid 117
#define NR_setresgid 119

static inline i64 sys4(i64 n, i64 a, i64 b, i64 c, i64 d)
{
    register i64 r10 __asm__("r10") = d;
    i64 ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return ret;
}

__attribute__((naked, noreturn)) void _start(void)
{
    __asm__ volatile("mov %rsp, %rdi\n\tand $-16, %rsp\n\tcall init_main\n\tud2");
}
#elif defined(__aarch64__)
#define NR_write 64
#define NR_fcntl 25
#define NR_wait4 260
#define NR_execve 221
#define NR_exit_group 94
#define NR_clone 220
#define NR_prctl 167
#define NR_setgroups 159
#define NR_setresuid 147
#define NR_setresgid 149

static inline i64 sys4(i64 n, i64 a, i64 b, i64 c, i64 d)
{
    register i64 x8 __asm__("x8") = n;
    register i64 x0 __asm__("x0") = a;
    register i64 x1 __asm__("x1") = b;
    register i64 x2 __asm__("x2") = c;
    register i64 x3 __asm__("x3") = d;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
}

__attribute__((naked, noreturn)) void _start(void)
{
    __asm__ volatile("mov x0, sp\n\tbl init_main\n\tbrk #0");
}
#else
#error "unsupported architecture"
#endif

#define STATUS_FD 3
#define F_SETFD 2
#define FD_CLOEXEC 1
#define SIGCHLD 17
#define EINTR 4
#define PR_SET_DUMPABLE 4
#define PR_CAPBSET_DROP 24
#define CAP_SETGID 6
#define CAP_SETUID 7
#define CAP_SETPCAP 8
#define JOB_UID 65534 /* MountPlan.JobUid / JobGid */

static void report(i64 kind, i64 value)
{
    i64 msg[2];
    msg[0] = kind;
    msg[1] = value;
    sys4(NR_write, STATUS_FD, (i64)msg, sizeof(msg), 0);
}

__attribute__((noreturn, used)) void init_main(i64 *sp)
{
    i64 argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    if (argc < 3) {
        report(1, 22);
        sys4(NR_exit_group, 127, 0, 0, 0);
    }

    /* Before the payload exists: nobody but a ptrace-capable process may read or write our memory. */
    if (sys4(NR_prctl, PR_SET_DUMPABLE, 0, 0, 0) < 0) {
        report(3, 1);
        sys4(NR_exit_group, 127, 0, 0, 0);
    }

    /* The status fd must not leak into the payload. */
    sys4(NR_fcntl, STATUS_FD, F_SETFD, FD_CLOEXEC, 0);
    i64 pid = sys4(NR_clone, SIGCHLD, 0, 0, 0);
    if (pid < 0) {
        report(1, -pid);
        sys4(NR_exit_group, 127, 0, 0, 0);
    }
    if (pid == 0) {
        i64 r = sys4(NR_prctl, PR_CAPBSET_DROP, CAP_SETGID, 0, 0);
        if (r == 0)
            r = sys4(NR_prctl, PR_CAPBSET_DROP, CAP_SETUID, 0, 0);
        if (r == 0)
            r = sys4(NR_prctl, PR_CAPBSET_DROP, CAP_SETPCAP, 0, 0);
        if (r == 0)
            r = sys4(NR_setresgid, JOB_UID, JOB_UID, JOB_UID, 0);
        if (r == 0)
            r = sys4(NR_setgroups, 0, 0, 0, 0);
        if (r == 0)
            r = sys4(NR_setresuid, JOB_UID, JOB_UID, JOB_UID, 0);
        if (r < 0) {
            report(3, -r);
            sys4(NR_exit_group, 127, 0, 0, 0);
        }
        r = sys4(NR_execve, (i64)argv[1], (i64)(argv + 2), (i64)envp, 0);
        report(1, -r);
        sys4(NR_exit_group, 127, 0, 0, 0);
    }

    for (;;) {
        int status = 0;
        i64 r = sys4(NR_wait4, -1, (i64)&status, 0, 0);
        if (r == pid) {
            report(2, status);
            sys4(NR_exit_group, 0, 0, 0, 0);
        }
        if (r < 0 && r != -EINTR)
            sys4(NR_exit_group, 126, 0, 0, 0);
    }
}
