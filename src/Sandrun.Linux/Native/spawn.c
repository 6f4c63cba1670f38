/*
 * Sandrun spawn routine: a fixed, freestanding interpreter for a spawn plan built in C#.
 *
 * Why it exists: managed code must never run in a cloned child (it hangs or corrupts the parent,
 * see shared/research/fork-safety.md). C# compiles everything the child must do into a flat list
 * of raw syscalls; this routine clones (CLONE_VM, on a caller-provided stack) and the child walks
 * that list until execve. No libc, no globals, no relocations left after linking: the linked
 * .text is extracted as a position-independent blob and embedded in Sandrun.Linux.
 *
 * Build: build-blob.sh (reproducible; a test rebuilds and compares bytes when a compiler exists).
 *
 * ABI (mirrored in Spawn/NativePlan.cs; keep in sync):
 *   long sandrun_spawn(struct plan *p)
 *   returns the child pid (> 0) or -errno; the raw clone result is also left in slots[15]
 *   (so a failed restore step after a successful clone still names the child to kill), and the
 *   first error of the restore steps in slots[13] (< 0: this thread's state is unknown).
 *
 * Around the clone the calling thread itself runs two short step lists (no slots, no reports):
 * `pre` (e.g. join the job's network namespace, take the job's host uid as euid so the new user
 * namespace is owned and charged per job) stops at the first failure; `post` undoes them and always
 * runs whole, even after a failed pre step. Its first error is returned: the thread is then in an
 * unknown state and the caller retires it.
 */

typedef unsigned long u64;
typedef long i64;

#define STEP_ARG_FROM_SLOT(i) (1UL << (i))  /* arg i holds a slot index, not a value */
#define STEP_SAVE_RESULT (1UL << 8)         /* store the result in slot (flags >> 12) & 15 */
#define STEP_IGNORE_ERRORS (1UL << 9)       /* any error is fine */
#define STEP_REQUIRE_POSITIVE (1UL << 10)   /* a result of 0 counts as failure (EPIPE) */
#define STEP_REQUIRE_ZERO (1UL << 11)       /* a positive result counts as failure (ESRCH) */
#define STEP_SLOT(flags) (((flags) >> 12) & 15)
#define STEP_IGNORED_ERRNO(flags) (((flags) >> 16) & 0xffff)

struct step {
    i64 nr;
    i64 arg[6];
    u64 flags;
};

struct plan {
    i64 use_clone3;          /* 1: clone3(clone_args); 0: clone(2) with clone_flags */
    void *clone_args;        /* struct clone_args (kernel layout), stack fields filled in */
    u64 clone_args_size;
    u64 clone_flags;         /* clone(2) fallback: flags | exit signal */
    char *stack_top;         /* 16-byte aligned top of the child stack (clone(2) path) */
    i64 *pidfd_out;          /* clone(2) path: CLONE_PIDFD stores the pidfd here (ptid) */
    i64 npre;                /* parent steps before the clone */
    struct step *pre;
    i64 npost;               /* parent steps after the clone (all of them, always) */
    struct step *post;
    i64 err_fd;              /* CLOEXEC pipe write end: the child reports {step, errno} */
    i64 nsteps;
    struct step *steps;
    i64 slots[16];
};

#if defined(__x86_64__)
#define NR_write 1
#define NR_rt_sigprocmask 14
#define NR_clone 56
#define NR_exit_group 231
#define NR_clone3 435

static inline i64 sys6(i64 n, i64 a, i64 b, i64 c, i64 d, i64 e, i64 f)
{
    register i64 r10 __asm__("r10") = d;
    register i64 r8 __asm__("r8") = e;
    register i64 r9 __asm__("r9") = f;
    i64 ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
#define NR_write 64
#define NR_rt_sigprocmask 135
#define NR_clone 220
#define NR_exit_group 94
#define NR_clone3 435

static inline i64 sys6(i64 n, i64 a, i64 b, i64 c, i64 d, i64 e, i64 f)
{
    register i64 x8 __asm__("x8") = n;
    register i64 x0 __asm__("x0") = a;
    register i64 x1 __asm__("x1") = b;
    register i64 x2 __asm__("x2") = c;
    register i64 x3 __asm__("x3") = d;
    register i64 x4 __asm__("x4") = e;
    register i64 x5 __asm__("x5") = f;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}
#else
#error "unsupported architecture"
#endif

#define SIG_SETMASK 2

static void child_main(struct plan *p) __attribute__((noreturn, used, noinline));

static void child_main(struct plan *p)
{
    for (i64 i = 0; i < p->nsteps; i++) {
        struct step *s = &p->steps[i];
        u64 flags = s->flags;
        i64 a[6];
        for (int j = 0; j < 6; j++)
            a[j] = (flags & STEP_ARG_FROM_SLOT(j)) ? p->slots[s->arg[j] & 15] : s->arg[j];
        i64 r = sys6(s->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        i64 err = 0;
        if (r < 0 && r > -4096)
            err = -r;
        else if (r == 0 && (flags & STEP_REQUIRE_POSITIVE))
            err = 32; /* EPIPE: the parent went away before releasing us */
        else if (r > 0 && (flags & STEP_REQUIRE_ZERO))
            err = 3; /* ESRCH: e.g. poll() saw the parent's pidfd readable: it exited */
        if (err != 0 && !(flags & STEP_IGNORE_ERRORS) && (i64)STEP_IGNORED_ERRNO(flags) != err) {
            i64 report[2];
            report[0] = i;
            report[1] = err;
            sys6(NR_write, p->err_fd, (i64)report, sizeof(report), 0, 0, 0);
            sys6(NR_exit_group, 127, 0, 0, 0, 0, 0);
        }
        if (err == 0 && (flags & STEP_SAVE_RESULT))
            p->slots[STEP_SLOT(flags)] = r;
    }
    /* A plan always ends in execve; falling off the end is a plan bug. */
    i64 report[2];
    report[0] = p->nsteps;
    report[1] = 22; /* EINVAL */
    sys6(NR_write, p->err_fd, (i64)report, sizeof(report), 0, 0, 0);
    sys6(NR_exit_group, 126, 0, 0, 0, 0, 0);
    for (;;) {
    }
}

/*
 * The raw clone: in the child the kernel has switched to the new stack, so the child may not
 * return into this frame; it calls child_main with the plan kept in a callee-saved register.
 */
static i64 raw_clone(struct plan *p)
{
#if defined(__x86_64__)
    register i64 r12 __asm__("r12") = (i64)p;
    i64 ret;
    if (p->use_clone3) {
        __asm__ volatile("syscall\n\t"
                         "test %%rax, %%rax\n\t"
                         "jnz 1f\n\t"
                         "xor %%ebp, %%ebp\n\t"
                         "mov %%r12, %%rdi\n\t"
                         "and $-16, %%rsp\n\t"
                         "call child_main\n\t"
                         "ud2\n\t"
                         "1:\n\t"
                         : "=a"(ret)
                         : "a"((i64)NR_clone3), "D"(p->clone_args), "S"(p->clone_args_size), "r"(r12)
                         : "rcx", "r11", "memory");
    } else {
        register i64 r10 __asm__("r10") = 0; /* child_tid */
        register i64 r8 __asm__("r8") = 0;   /* tls */
        __asm__ volatile("syscall\n\t"
                         "test %%rax, %%rax\n\t"
                         "jnz 1f\n\t"
                         "xor %%ebp, %%ebp\n\t"
                         "mov %%r12, %%rdi\n\t"
                         "and $-16, %%rsp\n\t"
                         "call child_main\n\t"
                         "ud2\n\t"
                         "1:\n\t"
                         : "=a"(ret)
                         : "a"((i64)NR_clone), "D"(p->clone_flags), "S"(p->stack_top),
                           "d"(p->pidfd_out), "r"(r10), "r"(r8), "r"(r12)
                         : "rcx", "r11", "memory");
    }
    return ret;
#elif defined(__aarch64__)
    register i64 x19 __asm__("x19") = (i64)p;
    register i64 x0 __asm__("x0");
    register i64 x8 __asm__("x8");
    if (p->use_clone3) {
        register i64 x1 __asm__("x1") = (i64)p->clone_args_size;
        x0 = (i64)p->clone_args;
        x8 = NR_clone3;
        __asm__ volatile("svc #0\n\t"
                         "cbnz x0, 1f\n\t"
                         "mov x29, xzr\n\t"
                         "mov x30, xzr\n\t"
                         "mov x0, x19\n\t"
                         "bl child_main\n\t"
                         "brk #0\n\t"
                         "1:\n\t"
                         : "+r"(x0)
                         : "r"(x8), "r"(x1), "r"(x19)
                         : "memory");
    } else {
        /* arm64 clone(2): flags, stack, parent_tid, tls, child_tid */
        register i64 x1 __asm__("x1") = (i64)p->stack_top;
        register i64 x2 __asm__("x2") = (i64)p->pidfd_out;
        register i64 x3 __asm__("x3") = 0;
        register i64 x4 __asm__("x4") = 0;
        x0 = (i64)p->clone_flags;
        x8 = NR_clone;
        __asm__ volatile("svc #0\n\t"
                         "cbnz x0, 1f\n\t"
                         "mov x29, xzr\n\t"
                         "mov x30, xzr\n\t"
                         "mov x0, x19\n\t"
                         "bl child_main\n\t"
                         "brk #0\n\t"
                         "1:\n\t"
                         : "+r"(x0)
                         : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x19)
                         : "memory");
    }
    return x0;
#endif
}

/* Runs parent-side steps; returns 0 or the first -errno (stop_at_error: stop there). */
static i64 parent_steps(struct step *steps, i64 n, int stop_at_error)
{
    i64 first = 0;
    for (i64 i = 0; i < n; i++) {
        struct step *s = &steps[i];
        i64 r = sys6(s->nr, s->arg[0], s->arg[1], s->arg[2], s->arg[3], s->arg[4], s->arg[5]);
        if (r < 0 && r > -4096 && first == 0) {
            first = r;
            if (stop_at_error)
                break;
        }
    }
    return first;
}

/* Entry point: must stay the first function in .text (the blob is called at offset 0). */
__attribute__((section(".text.entry"))) i64 sandrun_spawn(struct plan *p)
{
    /* Block every signal across the clone: the child shares our memory and, until it resets
     * handlers (CLONE_CLEAR_SIGHAND or explicit steps), must never run a .NET handler. This also
     * keeps handlers off this thread while its credentials or namespace are the job's. */
    u64 all = ~0UL, old = 0;
    i64 r = sys6(NR_rt_sigprocmask, SIG_SETMASK, (i64)&all, (i64)&old, 8, 0, 0);
    if (r < 0)
        return r;
    i64 pid = parent_steps(p->pre, p->npre, 1);
    p->slots[15] = 0;
    if (pid == 0) {
        pid = raw_clone(p);
        p->slots[15] = pid;
    }
    r = parent_steps(p->post, p->npost, 0);
    p->slots[13] = r;
    if (r < 0)
        pid = r; /* the caller kills the child named in slots[15] and retires this thread */
    sys6(NR_rt_sigprocmask, SIG_SETMASK, (i64)&old, 0, 8, 0, 0);
    return pid;
}
