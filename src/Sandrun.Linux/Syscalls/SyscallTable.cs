using System.Collections.Frozen;
using System.Runtime.InteropServices;

namespace Sandrun.Linux.Syscalls;

/// <summary>Syscall numbers and seccomp audit architecture of one CPU architecture.</summary>
internal sealed class SyscallTable
{
    private readonly FrozenDictionary<string, int> numbers;

    private SyscallTable(string name, uint auditArch, bool hasX32, FrozenDictionary<string, int> numbers)
    {
        Name = name;
        AuditArch = auditArch;
        HasX32 = hasX32;
        this.numbers = numbers;
    }

    /// <summary>x86-64 (AUDIT_ARCH_X86_64); x32 shares the arch value and is told apart by bit 30.</summary>
    public static SyscallTable X86_64 { get; } = new("x86_64", 0xC000003E, true, SyscallTables.X86_64);

    /// <summary>arm64 (AUDIT_ARCH_AARCH64).</summary>
    public static SyscallTable Arm64 { get; } = new("arm64", 0xC00000B7, false, SyscallTables.Arm64);

    /// <summary>The table of the running process, or null on an unsupported architecture.</summary>
    public static SyscallTable? Current { get; } = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => X86_64,
        Architecture.Arm64 => Arm64,
        _ => null,
    };

    public string Name { get; }

    public uint AuditArch { get; }

    public bool HasX32 { get; }

    public IEnumerable<string> Names => numbers.Keys;

    public bool TryGet(string name, out int number) => numbers.TryGetValue(name, out number);

    public int this[string name] => numbers.TryGetValue(name, out var nr)
        ? nr
        : throw new KeyNotFoundException($"syscall '{name}' does not exist on {Name}");
}
