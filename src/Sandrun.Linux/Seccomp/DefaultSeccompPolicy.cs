namespace Sandrun.Linux.Seccomp;

/// <summary>
/// Sandrun's default policy: an allowlist modelled on Docker's default profile (moby/profiles), minus
/// everything SPEC.md §4 denies, with default EPERM. Notable differences from Docker: ptrace and
/// process_vm_* are denied, modify_ldt is denied, socket families are limited to UNIX/INET/INET6,
/// TIOCSTI/TIOCLINUX ioctls are denied (low 32 bits compared, as the kernel does), clone with any
/// namespace flag is denied, clone3 answers ENOSYS so libcs fall back to the filterable clone(2), and Linux
/// AIO answers ENOSYS (its contexts come from one host-wide pool).
/// </summary>
public static class DefaultSeccompPolicy
{
    private const int EPERM = 1, ENOSYS = 38, EAFNOSUPPORT = 97;
    private const ulong NamespaceCloneFlags = 0x7E020000; // NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
    private const ulong TIOCSTI = 0x5412, TIOCLINUX = 0x541C;
    private const ulong AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;

    /// <summary>Syscalls allowed unconditionally.</summary>
    public static IReadOnlyList<string> Allowed { get; } =
    [
        "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk", "cachestat", "capget", "capset",
        "chdir", "chmod", "chown", "clock_adjtime", "clock_getres", "clock_gettime", "clock_nanosleep", "close",
        "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
        "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait", "eventfd", "eventfd2", "execve", "execveat", "exit",
        "exit_group", "faccessat", "faccessat2", "fadvise64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
        "fchmodat2", "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "file_getattr", "file_setattr", "flistxattr", "flock", "fork", "fremovexattr",
        "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex", "futex_requeue", "futex_wait", "futex_waitv",
        "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid",
        "getgroups", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
        "getresgid", "getresuid", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
        "get_thread_area", "gettid", "gettimeofday", "getuid", "getxattr", "getxattrat", "inotify_add_watch",
        "inotify_init", "inotify_init1", "inotify_rm_watch",
        "ioprio_get", "ioprio_set", "kill", "landlock_add_rule", "landlock_create_ruleset",
        "landlock_restrict_self", "lchown", "lgetxattr", "link", "linkat", "listen", "listmount", "listxattr",
        "listxattrat", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lsm_get_self_attr", "lsm_list_modules", "lstat", "madvise", "map_shadow_stack",
        "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2",
        "mlockall", "mmap", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend",
        "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
        "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat", "openat2", "pause", "pidfd_open",
        "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "prctl",
        "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pwrite64", "pwritev", "pwritev2",
        "read", "readahead", "readlink", "readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg", "remap_file_pages",
        "removexattr", "removexattrat", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
        "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
        "rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
        "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
        "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
        "semctl", "semget", "semop", "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsuid",
        "setgid", "setgroups", "setitimer", "setpgid", "setpriority", "setregid", "setresgid", "setresuid", "setreuid",
        "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid",
        "setxattr", "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
        "socketpair", "splice", "stat", "statfs", "statmount", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
        "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
        "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate", "umask",
        "uname", "unlink", "unlinkat", "uprobe", "uretprobe", "utime", "utimensat", "utimes", "vfork", "vmsplice", "wait4", "waitid",
        "write", "writev",
    ];

    /// <summary>
    /// Syscalls SPEC.md §4 requires to be denied, and lsm_set_self_attr (a job has no business relabelling
    /// itself for the host's LSM). The policy never allows them; a test checks that no rule does.
    /// </summary>
    public static IReadOnlyList<string> MustDeny { get; } =
    [
        "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick",
        "move_mount", "open_tree", "mount_setattr", "add_key", "request_key", "keyctl", "bpf", "perf_event_open",
        "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "ptrace", "process_vm_readv",
        "process_vm_writev", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "clock_settime", "settimeofday", "sethostname", "setdomainname", "reboot", "swapon", "swapoff", "acct",
        "quotactl", "quotactl_fd", "syslog", "iopl", "ioperm", "open_by_handle_at", "pidfd_getfd", "kcmp",
        "process_madvise", "lookup_dcookie", "fanotify_init", "modify_ldt", "uselib", "vhangup", "_sysctl", "open_tree_attr",
        "lsm_set_self_attr",
    ];

    /// <summary>
    /// Linux AIO: every context is charged to the host-wide aio-nr, so one job's io_setup could take all of
    /// aio-max-nr from every process on the host. ENOSYS, so programs fall back to threads.
    /// </summary>
    public static IReadOnlyList<string> LinuxAio { get; } = ["io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents"];

    /// <summary>The policy.</summary>
    public static SeccompPolicy Policy { get; } = Build();

    private static SeccompPolicy Build()
    {
        var deny = SeccompAction.Fail(EPERM);
        var rules = new List<SyscallRule>
        {
            // clone(2): threads and plain forks only; any namespace flag is refused.
            new("clone", SeccompAction.Allow, [new ArgCondition(0, ArgOperator.MaskedEqual, 0, NamespaceCloneFlags)]),
            new("clone", deny),

            // clone3 passes flags behind a pointer BPF cannot read: ENOSYS makes libcs use clone(2).
            new("clone3", SeccompAction.Fail(ENOSYS)),

            // The kernel truncates the request to 32 bits, so only the low word is compared.
            new("ioctl", deny, [new ArgCondition(1, ArgOperator.Equal, TIOCSTI)]),
            new("ioctl", deny, [new ArgCondition(1, ArgOperator.Equal, TIOCLINUX)]),
            new("ioctl", SeccompAction.Allow),

            new("socket", SeccompAction.Allow, [new ArgCondition(0, ArgOperator.Equal, AF_UNIX)]),
            new("socket", SeccompAction.Allow, [new ArgCondition(0, ArgOperator.Equal, AF_INET)]),
            new("socket", SeccompAction.Allow, [new ArgCondition(0, ArgOperator.Equal, AF_INET6)]),
            new("socket", SeccompAction.Fail(EAFNOSUPPORT)),
        };

        foreach (var persona in new ulong[] { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff })
        {
            rules.Add(new("personality", SeccompAction.Allow, [new ArgCondition(0, ArgOperator.Equal, persona)]));
        }

        rules.Add(new("personality", deny));
        rules.AddRange(LinuxAio.Select(name => new SyscallRule(name, SeccompAction.Fail(ENOSYS))));
        rules.AddRange(Allowed.Select(name => new SyscallRule(name, SeccompAction.Allow)));
        return new SeccompPolicy(deny, rules);
    }
}
