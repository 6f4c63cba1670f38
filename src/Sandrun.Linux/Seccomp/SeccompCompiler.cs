using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Seccomp;

/// <summary>
/// Compiles a <see cref="SeccompPolicy"/> to a classic-BPF seccomp program for one architecture:
/// arch check, x32 check (x86-64), a dispatch on the syscall number and one block per filtered syscall.
/// </summary>
public static class SeccompCompiler
{
    private const uint OffsetNr = 0, OffsetArch = 4, OffsetArgs = 16;
    private const uint X32SyscallBit = 0x40000000;

    /// <summary>Compiles for the running architecture.</summary>
    public static BpfInstruction[] Compile(SeccompPolicy policy) =>
        Compile(policy, SyscallTable.Current ?? throw new PlatformNotSupportedException("no syscall table for this architecture"));

    internal static BpfInstruction[] Compile(SeccompPolicy policy, SyscallTable table)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var asm = new BpfAssembler();
        var deny = asm.NewLabel();
        var archOk = asm.NewLabel();
        var foreignArch = asm.NewLabel();

        // Foreign ABIs (i386 int 0x80, AArch32) have other syscall numbers: kill before any lookup.
        asm.LoadAbsolute(OffsetArch);
        asm.JumpIfEqual(table.AuditArch, archOk, foreignArch);
        asm.Mark(foreignArch);
        asm.Return(SeccompAction.KillProcess.ReturnValue);
        asm.Mark(archOk);
        asm.LoadAbsolute(OffsetNr);
        if (table.HasX32)
        {
            // x32 syscalls report AUDIT_ARCH_X86_64 with bit 30 set in the number.
            var native = asm.NewLabel();
            var x32 = asm.NewLabel();
            asm.JumpIfGreaterOrEqual(X32SyscallBit, x32, native);
            asm.Mark(x32);
            asm.Return(SeccompAction.KillProcess.ReturnValue);
            asm.Mark(native);
        }

        // Group rules per syscall, keeping first-appearance order; syscalls missing on this arch are skipped.
        var groups = new List<(int Nr, List<SyscallRule> Rules)>();
        var byNr = new Dictionary<int, List<SyscallRule>>();
        foreach (var rule in policy.Rules)
        {
            if (!table.TryGet(rule.Syscall, out var nr))
            {
                continue;
            }

            if (!byNr.TryGetValue(nr, out var list))
            {
                list = [];
                byNr[nr] = list;
                groups.Add((nr, list));
            }

            list.Add(rule);
        }

        // Dispatch by binary search: the kernel runs the filter for every syscall number when it is attached (to fill
        // its action cache), and again for every call of an argument-filtered syscall, so a linear chain would cost
        // hundreds of steps. The search is over segments (runs of consecutive numbers with the same target, numbers no
        // rule names going to the default action), not over single numbers: the program stays short, and the kernel
        // checks and JIT-compiles it again for every job.
        groups.Sort((a, b) => a.Nr.CompareTo(b.Nr));
        var shared = new Dictionary<uint, BpfAssembler.Label>();
        var blocks = new List<(BpfAssembler.Label Label, List<SyscallRule> Rules)>();
        var starts = new List<uint>();
        var segments = new List<BpfAssembler.Label>();
        void Segment(uint start, BpfAssembler.Label target)
        {
            if (segments.Count == 0 || segments[^1] != target)
            {
                starts.Add(start);
                segments.Add(target);
            }
        }

        uint next = 0;
        foreach (var (nr, rules) in groups)
        {
            BpfAssembler.Label target;
            if (rules[0].Conditions.Count == 0)
            {
                var value = rules[0].Action.ReturnValue;
                if (!shared.TryGetValue(value, out target))
                {
                    target = asm.NewLabel();
                    shared[value] = target;
                }
            }
            else
            {
                target = asm.NewLabel();
                blocks.Add((target, rules));
            }

            if ((uint)nr > next)
            {
                Segment(next, deny);
            }

            Segment((uint)nr, target);
            next = (uint)nr + 1;
        }

        Segment(next, deny);
        EmitSearch(asm, starts, segments, 0, starts.Count);

        asm.Mark(deny);
        asm.Return(policy.DefaultAction.ReturnValue);
        foreach (var (value, label) in shared)
        {
            asm.Mark(label);
            asm.Return(value);
        }

        foreach (var (label, rules) in blocks)
        {
            asm.Mark(label);
            foreach (var rule in rules)
            {
                var nextRule = asm.NewLabel();
                foreach (var condition in rule.Conditions)
                {
                    EmitCondition(asm, condition, nextRule);
                }

                asm.Return(rule.Action.ReturnValue);
                asm.Mark(nextRule);
                if (rule.Conditions.Count == 0)
                {
                    break;
                }
            }

            asm.Return(policy.DefaultAction.ReturnValue);
        }

        return asm.Build();
    }

    /// <summary>
    /// Emits a search over segments[lo..hi): segment i covers the numbers from starts[i] up to starts[i + 1] (the last
    /// one, all above). A holds the syscall number throughout.
    /// </summary>
    private static void EmitSearch(BpfAssembler asm, List<uint> starts, List<BpfAssembler.Label> segments, int lo, int hi)
    {
        if (hi - lo == 1)
        {
            asm.Goto(segments[lo]);
            return;
        }

        var mid = (lo + hi) / 2;
        var upper = asm.NewLabel();
        var lower = asm.NewLabel();
        var toUpper = asm.NewLabel();
        asm.JumpIfGreaterOrEqual(starts[mid], toUpper, lower);
        asm.Mark(toUpper);
        asm.Goto(upper);
        asm.Mark(lower);
        EmitSearch(asm, starts, segments, lo, mid);
        asm.Mark(upper);
        EmitSearch(asm, starts, segments, mid, hi);
    }

    /// <summary>Falls through when the condition holds, jumps to <paramref name="fail"/> otherwise.</summary>
    private static void EmitCondition(BpfAssembler asm, ArgCondition c, BpfAssembler.Label fail)
    {
        if (c.Index is < 0 or > 5)
        {
            throw new ArgumentOutOfRangeException(nameof(c), "argument index must be 0..5");
        }

        var low = OffsetArgs + (8 * (uint)c.Index);
        var high = low + 4;
        var pass = asm.NewLabel();
        var mask = c.Operator == ArgOperator.MaskedEqual ? c.Mask : ulong.MaxValue;
        var value = c.Value & mask;
        var negate = c.Operator == ArgOperator.NotEqual;

        if (!c.Is32Bit)
        {
            var checkLow = asm.NewLabel();
            asm.LoadAbsolute(high);
            if ((uint)(mask >> 32) != uint.MaxValue)
            {
                asm.And((uint)(mask >> 32));
            }

            // High words differ: "equal" fails, "not equal" passes.
            asm.JumpIfEqual((uint)(value >> 32), checkLow, negate ? pass : fail);
            asm.Mark(checkLow);
        }

        asm.LoadAbsolute(low);
        if ((uint)mask != uint.MaxValue)
        {
            asm.And((uint)mask);
        }

        if (negate)
        {
            asm.JumpIfEqual((uint)value, fail, pass);
        }
        else
        {
            asm.JumpIfEqual((uint)value, pass, fail);
        }

        asm.Mark(pass);
    }
}
