using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Spawn;

/// <summary>An argument of a plan step: a literal, a pointer into the plan's data, or a result slot.</summary>
internal readonly record struct StepArg(StepArgKind Kind, long Value)
{
    public static implicit operator StepArg(long value) => new(StepArgKind.Literal, value);

    public static implicit operator StepArg(DataRef data) => new(StepArgKind.Data, data.Offset);

    public static StepArg Slot(int slot) => new(StepArgKind.Slot, slot);

    public static readonly StepArg Null = new(StepArgKind.Literal, 0);
}

internal enum StepArgKind
{
    Literal,
    Data,
    Slot,
}

/// <summary>An offset into the plan's data area, relocated to an address when the plan is built.</summary>
internal readonly record struct DataRef(int Offset);

/// <summary>One syscall step, with the description used in error messages.</summary>
internal sealed record PlanStep(string Syscall, int Number, StepArg[] Args, StepFlags Flags, int Slot, int IgnoredErrno, string Description, StepKind Kind);

/// <summary>
/// The host identity the cloning thread takes around the clone: the new user namespace's owner, whose per-user
/// kernel counters every charge from inside the job rolls up to. <paramref name="Securebits"/> and
/// <paramref name="RestoreEuid"/> are the thread's own, restored right after.
/// </summary>
internal readonly record struct CloneOwner(uint Uid, uint RestoreEuid, long Securebits);

/// <summary>Whose problem a failing step is: the sandbox's (isolation) or the job's (e.g. a missing program).</summary>
internal enum StepKind
{
    Isolation,
    Job,
}

/// <summary>
/// Builds the flat list of raw syscalls the child executes, and the data they point at. Everything is
/// laid out in one native block by <see cref="Build"/>; nothing managed is touched by the child.
/// </summary>
internal sealed class PlanBuilder(SyscallTable table)
{
    private readonly List<PlanStep> steps = [];
    private readonly ArrayBufferWriter<byte> data = new(16 * 1024);
    private readonly List<(int At, int Target)> relocations = [];

    public SyscallTable Table { get; } = table;

    public IReadOnlyList<PlanStep> Steps => steps;

    public DataRef String(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("strings passed to the kernel cannot contain NUL", nameof(value));
        }

        var offset = data.WrittenCount;
        var span = data.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length) + 1);
        var n = Encoding.UTF8.GetBytes(value, span);
        span[n] = 0;
        data.Advance(n + 1);
        return new DataRef(offset);
    }

    public DataRef Bytes(ReadOnlySpan<byte> bytes, int alignment = 8)
    {
        Align(alignment);
        var offset = data.WrittenCount;
        data.Write(bytes);
        return new DataRef(offset);
    }

    public DataRef Struct<T>(T value)
        where T : unmanaged
    {
        return Bytes(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));
    }

    /// <summary>Raw bytes with one pointer field (at <paramref name="pointerOffset"/>) relocated to <paramref name="target"/>.</summary>
    public DataRef BytesWithPointer(ReadOnlySpan<byte> bytes, int pointerOffset, DataRef target)
    {
        var r = Bytes(bytes);
        relocations.Add((r.Offset + pointerOffset, target.Offset));
        return r;
    }

    /// <summary>A NULL-terminated array of pointers (argv/envp).</summary>
    public DataRef PointerArray(IReadOnlyList<DataRef> items)
    {
        Align(8);
        var offset = data.WrittenCount;
        foreach (var item in items)
        {
            relocations.Add((data.WrittenCount, item.Offset));
            Zeros(8);
        }

        Zeros(8);
        return new DataRef(offset);
    }

    public void Step(string syscall, string description, params StepArg[] args) =>
        Step(syscall, description, StepFlags.None, 0, 0, StepKind.Isolation, args);

    public void Step(string syscall, string description, StepFlags flags, int slot, int ignoredErrno, StepKind kind, params StepArg[] args)
    {
        if (args.Length > 6)
        {
            throw new ArgumentException("a syscall takes at most 6 arguments", nameof(args));
        }

        var padded = new StepArg[6];
        args.CopyTo(padded, 0);
        steps.Add(new PlanStep(syscall, Table[syscall], padded, flags, slot, ignoredErrno, description, kind));
    }

    /// <summary>Lays the plan out in native memory.</summary>
    /// <param name="cloneArgs">The clone arguments; the stack fields are filled in here.</param>
    /// <param name="useClone3">clone3, or clone(2) with the flags packed into one word.</param>
    /// <param name="netnsFd">A network namespace the cloning thread joins around the clone (the child is born in it), or -1.</param>
    /// <param name="origNetnsFd">The thread's own network namespace, rejoined right after the clone.</param>
    /// <param name="errFd">Where the child reports a failing step.</param>
    /// <param name="owner">The host identity the cloning thread takes around the clone, so the job's new user namespace is owned and charged per job; null keeps the thread's own.</param>
    /// <param name="stackSize">Size of the child's stack.</param>
    public unsafe NativePlan Build(CloneArgs cloneArgs, bool useClone3, long netnsFd, long origNetnsFd, int errFd, CloneOwner? owner = null, int stackSize = 64 * 1024)
    {
        var (pre, post) = AroundClone(netnsFd, origNetnsFd, owner);
        var headerSize = Align(sizeof(NativePlanHeader), 64);
        var cloneSize = Align(sizeof(CloneArgs), 64);
        var stepsSize = (steps.Count + pre.Count + post.Count) * sizeof(NativeStep);
        var dataOffset = headerSize + cloneSize + stepsSize + 64;
        var stackOffset = Align(dataOffset + data.WrittenCount + 8, 64);
        var total = stackOffset + stackSize;

        var block = (byte*)NativeMemory.AlignedAlloc((nuint)total, 64);
        NativeMemory.Clear(block, (nuint)total);
        var dataBase = block + dataOffset;
        data.WrittenSpan.CopyTo(new Span<byte>(dataBase, data.WrittenCount));
        foreach (var (at, target) in relocations)
        {
            *(long*)(dataBase + at) = (long)(dataBase + target);
        }

        var nativeSteps = (NativeStep*)(block + headerSize + cloneSize);
        for (var i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            var flags = (ulong)s.Flags | ((ulong)(s.Slot & 15) << 12) | ((ulong)(s.IgnoredErrno & 0xffff) << 16);
            var values = new long[6];
            for (var j = 0; j < 6; j++)
            {
                var a = s.Args[j];
                values[j] = a.Kind switch
                {
                    StepArgKind.Data => (long)(dataBase + a.Value),
                    StepArgKind.Slot => a.Value,
                    _ => a.Value,
                };
                if (a.Kind == StepArgKind.Slot)
                {
                    flags |= 1UL << j;
                }
            }

            nativeSteps[i] = new NativeStep
            {
                Nr = s.Number, A0 = values[0], A1 = values[1], A2 = values[2], A3 = values[3], A4 = values[4], A5 = values[5], Flags = flags,
            };
        }

        var preSteps = nativeSteps + steps.Count;
        var postSteps = preSteps + pre.Count;
        for (var i = 0; i < pre.Count; i++)
        {
            preSteps[i] = pre[i];
        }

        for (var i = 0; i < post.Count; i++)
        {
            postSteps[i] = post[i];
        }

        var stackBase = block + stackOffset;
        var clone = (CloneArgs*)(block + headerSize);
        cloneArgs.Stack = (ulong)stackBase;
        cloneArgs.StackSize = (ulong)stackSize;
        *clone = cloneArgs;

        var header = (NativePlanHeader*)block;
        header->UseClone3 = useClone3 ? 1 : 0;
        header->CloneArgs = (nint)clone;
        header->CloneArgsSize = (ulong)sizeof(CloneArgs);
        header->CloneFlags = (cloneArgs.Flags & 0xFFFFFFFF) | cloneArgs.ExitSignal;
        header->StackTop = (nint)(stackBase + stackSize);
        header->PreCount = pre.Count;
        header->Pre = (nint)preSteps;
        header->PostCount = post.Count;
        header->Post = (nint)postSteps;
        header->ErrFd = errFd;
        header->StepCount = steps.Count;
        header->Steps = (nint)nativeSteps;
        header->PidfdOut = (nint)(&header->Slots[14]);
        header->Slots[14] = -1;
        if (useClone3)
        {
            clone->Pidfd = (ulong)(&header->Slots[14]);
        }

        return new NativePlan(block, steps.ToArray());
    }

    /// <summary>
    /// What the cloning thread does just before and after the clone (run by the routine with signals blocked).
    /// The owner switch keeps every capability (SECBIT_NO_SETUID_FIXUP), so CLONE_INTO_CGROUP's permission
    /// check still passes; the child's new user namespace resets securebits and capabilities for the child.
    /// </summary>
    private (List<NativeStep> Pre, List<NativeStep> Post) AroundClone(long netnsFd, long origNetnsFd, CloneOwner? owner)
    {
        const long CLONE_NEWNET = 0x40000000, PR_SET_SECUREBITS = 28, SECBIT_NO_SETUID_FIXUP = 1 << 2;
        List<NativeStep> pre = [], post = [];
        if (netnsFd >= 0)
        {
            pre.Add(Raw("setns", netnsFd, CLONE_NEWNET));
        }

        if (owner is { } o)
        {
            pre.Add(Raw("prctl", PR_SET_SECUREBITS, o.Securebits | SECBIT_NO_SETUID_FIXUP));
            pre.Add(Raw("setresuid", -1, o.Uid, -1));
            post.Add(Raw("setresuid", -1, o.RestoreEuid, -1));
            post.Add(Raw("prctl", PR_SET_SECUREBITS, o.Securebits));
        }

        if (netnsFd >= 0)
        {
            post.Add(Raw("setns", origNetnsFd, CLONE_NEWNET));
        }

        return (pre, post);
    }

    private NativeStep Raw(string syscall, long a0, long a1, long a2 = 0) => new() { Nr = Table[syscall], A0 = a0, A1 = a1, A2 = a2 };

    private static int Align(int value, int alignment) => (value + alignment - 1) & ~(alignment - 1);

    private void Align(int alignment)
    {
        var pad = (alignment - (data.WrittenCount % alignment)) % alignment;
        Zeros(pad);
    }

    private void Zeros(int count)
    {
        if (count > 0)
        {
            data.GetSpan(count)[..count].Clear();
            data.Advance(count);
        }
    }
}

/// <summary>A plan laid out in native memory. Must stay alive until the child has exec'd or exited.</summary>
internal sealed unsafe class NativePlan(byte* block, PlanStep[] steps) : IDisposable
{
    private byte* block = block;

    public NativePlanHeader* Header => (NativePlanHeader*)block;

    public IReadOnlyList<PlanStep> Steps { get; } = steps;

    /// <summary>The pidfd written by the kernel (clone3: clone_args.pidfd; clone(2): parent_tid).</summary>
    public int Pidfd => (int)Header->Slots[14];

    /// <summary>The raw clone result, recorded by the routine even when a later parent step failed.</summary>
    public long ClonedPid => Header->Slots[15];

    /// <summary>Whether the cloning thread could not undo its namespace or identity switch (it must be retired).</summary>
    public bool ThreadTainted => Header->Slots[13] < 0;

    public void Dispose()
    {
        if (block != null)
        {
            NativeMemory.AlignedFree(block);
            block = null;
        }
    }
}
