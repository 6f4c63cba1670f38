namespace Sandrun.Linux.Seccomp;

/// <summary>What the filter does with a syscall.</summary>
public readonly record struct SeccompAction(SeccompActionKind Kind, ushort Errno = 0)
{
    /// <summary>Let the syscall run.</summary>
    public static SeccompAction Allow { get; } = new(SeccompActionKind.Allow);

    /// <summary>Kill the whole process (used for foreign ABIs).</summary>
    public static SeccompAction KillProcess { get; } = new(SeccompActionKind.KillProcess);

    /// <summary>Fail the syscall with <paramref name="errno"/>.</summary>
    public static SeccompAction Fail(int errno) => new(SeccompActionKind.Errno, checked((ushort)errno));

    /// <summary>The SECCOMP_RET_* value.</summary>
    public uint ReturnValue => Kind switch
    {
        SeccompActionKind.Allow => 0x7fff0000,
        SeccompActionKind.Errno => 0x00050000u | Errno,
        SeccompActionKind.KillProcess => 0x80000000,
        SeccompActionKind.Log => 0x7ffc0000,
        _ => throw new InvalidOperationException($"unknown action {Kind}"),
    };

    /// <inheritdoc />
    public override string ToString() => Kind == SeccompActionKind.Errno ? $"errno({Errno})" : Kind.ToString();
}

/// <summary>Seccomp action kinds.</summary>
public enum SeccompActionKind
{
    /// <summary>SECCOMP_RET_ALLOW.</summary>
    Allow,

    /// <summary>SECCOMP_RET_ERRNO.</summary>
    Errno,

    /// <summary>SECCOMP_RET_KILL_PROCESS.</summary>
    KillProcess,

    /// <summary>SECCOMP_RET_LOG (allow and log).</summary>
    Log,
}

/// <summary>How an argument is compared.</summary>
public enum ArgOperator
{
    /// <summary>arg == value.</summary>
    Equal,

    /// <summary>arg != value.</summary>
    NotEqual,

    /// <summary>(arg &amp; mask) == value.</summary>
    MaskedEqual,
}

/// <summary>A condition on one syscall argument.</summary>
/// <param name="Index">Argument index 0..5.</param>
/// <param name="Operator">Comparison.</param>
/// <param name="Value">Compared value.</param>
/// <param name="Mask">Mask for <see cref="ArgOperator.MaskedEqual"/>.</param>
/// <param name="Is32Bit">The kernel reads this argument as a 32-bit int (ioctl request, clone flags,
/// socket family): only the low word is compared, so high bits cannot smuggle a value past the filter.</param>
public sealed record ArgCondition(int Index, ArgOperator Operator, ulong Value, ulong Mask = ulong.MaxValue, bool Is32Bit = true);

/// <summary>A rule for one syscall: when all conditions hold, the action applies.</summary>
/// <param name="Syscall">Syscall name as in the kernel's tables.</param>
/// <param name="Action">Action when the conditions hold.</param>
/// <param name="Conditions">All must hold (AND); empty = always.</param>
public sealed record SyscallRule(string Syscall, SeccompAction Action, IReadOnlyList<ArgCondition> Conditions)
{
    /// <summary>A rule without conditions.</summary>
    public SyscallRule(string syscall, SeccompAction action)
        : this(syscall, action, [])
    {
    }
}

/// <summary>
/// A seccomp policy as data. Rules of one syscall are tried in order, the first whose conditions hold
/// wins; a syscall with no matching rule gets <see cref="DefaultAction"/>. Foreign ABIs (i386 via
/// int 0x80, x32, AArch32) are always killed.
/// </summary>
/// <param name="DefaultAction">Action for everything not matched.</param>
/// <param name="Rules">Rules in priority order.</param>
public sealed record SeccompPolicy(SeccompAction DefaultAction, IReadOnlyList<SyscallRule> Rules);
