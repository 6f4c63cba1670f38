using System.Runtime.InteropServices;

namespace Sandrun.Linux.Spawn;

// Native layouts shared with Native/spawn.c (struct plan, struct step) and the kernel (struct clone_args).

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativePlanHeader
{
    public long UseClone3;
    public nint CloneArgs;
    public ulong CloneArgsSize;
    public ulong CloneFlags;
    public nint StackTop;
    public nint PidfdOut;
    public long PreCount;
    public nint Pre;
    public long PostCount;
    public nint Post;
    public long ErrFd;
    public long StepCount;
    public nint Steps;
    public fixed long Slots[16];
}

[StructLayout(LayoutKind.Sequential)]
internal struct NativeStep
{
    public long Nr;
    public long A0, A1, A2, A3, A4, A5;
    public ulong Flags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CloneArgs
{
    public ulong Flags;
    public ulong Pidfd;
    public ulong ChildTid;
    public ulong ParentTid;
    public ulong ExitSignal;
    public ulong Stack;
    public ulong StackSize;
    public ulong Tls;
    public ulong SetTid;
    public ulong SetTidSize;
    public ulong Cgroup;
}

/// <summary>Step flags understood by the spawn routine.</summary>
[Flags]
internal enum StepFlags : ulong
{
    None = 0,
    SaveResult = 1UL << 8,
    IgnoreErrors = 1UL << 9,
    RequirePositive = 1UL << 10,
    RequireZero = 1UL << 11,
}

/// <summary>clone(2)/clone3 flags used by the sandbox.</summary>
internal static class CloneFlags
{
    public const ulong Vm = 0x100, Pidfd = 0x1000, NewNs = 0x20000, NewCgroup = 0x02000000, NewUts = 0x04000000;
    public const ulong NewIpc = 0x08000000, NewUser = 0x10000000, NewPid = 0x20000000, NewNet = 0x40000000;
    public const ulong ClearSighand = 0x100000000, IntoCgroup = 0x200000000;
    public const ulong SigChld = 17;
}
