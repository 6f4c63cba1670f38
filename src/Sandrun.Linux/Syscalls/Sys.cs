namespace Sandrun.Linux.Syscalls;

/// <summary>Syscall numbers the parent calls directly (through libc's syscall()).</summary>
internal static class Sys
{
    private static readonly SyscallTable Table = SyscallTable.Current ?? SyscallTable.X86_64;

    public static readonly long Waitid = Table["waitid"];
    public static readonly long Openat = Table["openat"];
    public static readonly long Getdents64 = Table["getdents64"];
    public static readonly long Fchownat = Table["fchownat"];
    public static readonly long Prctl = Table["prctl"];
    public static readonly long PidfdSendSignal = Table["pidfd_send_signal"];
    public static readonly long PidfdOpen = Table["pidfd_open"];
    public static readonly long Clone3 = Table["clone3"];
    public static readonly long MountSetattr = Table["mount_setattr"];
    public static readonly long LandlockCreateRuleset = Table["landlock_create_ruleset"];
    public static readonly long Getpid = Table["getpid"];
    public static readonly long Unshare = Table["unshare"];
    public static readonly long Mount = Table["mount"];
    public static readonly long Umount2 = Table["umount2"];
    public static readonly long Chdir = Table["chdir"];
    public static readonly long PivotRoot = Table["pivot_root"];
    public static readonly long Mkdirat = Table["mkdirat"];
    public static readonly long Unlinkat = Table["unlinkat"];
    public static readonly long OpenTree = Table["open_tree"];
    public static readonly long MoveMount = Table["move_mount"];
    public static readonly long Fsopen = Table["fsopen"];
    public static readonly long Fsconfig = Table["fsconfig"];
    public static readonly long Fsmount = Table["fsmount"];
}
