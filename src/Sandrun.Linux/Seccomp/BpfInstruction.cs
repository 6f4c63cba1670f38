using System.Runtime.InteropServices;

namespace Sandrun.Linux.Seccomp;

/// <summary>One classic-BPF instruction (struct sock_filter).</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct BpfInstruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K)
{
    // Opcode pieces from linux/bpf_common.h.
    internal const ushort LD = 0x00, JMP = 0x05, RET = 0x06, ALU = 0x04;
    internal const ushort W = 0x00, ABS = 0x20, K_ = 0x00;
    internal const ushort JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40, AND = 0x50;

    /// <inheritdoc />
    public override string ToString() => $"{{0x{Code:x2}, {JumpTrue}, {JumpFalse}, 0x{K:x8}}}";
}
