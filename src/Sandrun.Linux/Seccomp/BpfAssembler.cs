namespace Sandrun.Linux.Seccomp;

/// <summary>
/// A tiny classic-BPF assembler with forward labels. Conditional jumps have 8-bit offsets; unconditional
/// <see cref="Goto"/> has a 32-bit one, so long-distance dispatch goes through it.
/// </summary>
public sealed class BpfAssembler
{
    private readonly List<BpfInstruction> code = [];
    private readonly List<(int At, Label True, Label False)> conditional = [];
    private readonly List<(int At, Label Target)> unconditional = [];
    private readonly List<int> labels = [];

    /// <summary>Number of instructions emitted so far.</summary>
    public int Count => code.Count;

    /// <summary>Creates a label to be placed later.</summary>
    public Label NewLabel()
    {
        labels.Add(-1);
        return new Label(labels.Count - 1);
    }

    /// <summary>Places <paramref name="label"/> at the next instruction.</summary>
    public void Mark(Label label)
    {
        if (labels[label.Id] >= 0)
        {
            throw new InvalidOperationException("label placed twice");
        }

        labels[label.Id] = code.Count;
    }

    /// <summary>A = 32-bit word at <paramref name="offset"/> of struct seccomp_data.</summary>
    public void LoadAbsolute(uint offset) => code.Add(new(BpfInstruction.LD | BpfInstruction.W | BpfInstruction.ABS, 0, 0, offset));

    /// <summary>A &amp;= <paramref name="mask"/>.</summary>
    public void And(uint mask) => code.Add(new(BpfInstruction.ALU | BpfInstruction.AND | BpfInstruction.K_, 0, 0, mask));

    /// <summary>Returns <paramref name="value"/> (a SECCOMP_RET_* action).</summary>
    public void Return(uint value) => code.Add(new(BpfInstruction.RET | BpfInstruction.K_, 0, 0, value));

    /// <summary>if (A == k) goto t else goto f.</summary>
    public void JumpIfEqual(uint k, Label t, Label f) => Conditional(BpfInstruction.JEQ, k, t, f);

    /// <summary>if (A &gt;= k) goto t else goto f (unsigned).</summary>
    public void JumpIfGreaterOrEqual(uint k, Label t, Label f) => Conditional(BpfInstruction.JGE, k, t, f);

    /// <summary>if (A &gt; k) goto t else goto f (unsigned).</summary>
    public void JumpIfGreater(uint k, Label t, Label f) => Conditional(BpfInstruction.JGT, k, t, f);

    /// <summary>if (A &amp; k) goto t else goto f.</summary>
    public void JumpIfAnySet(uint k, Label t, Label f) => Conditional(BpfInstruction.JSET, k, t, f);

    /// <summary>Unconditional jump (32-bit offset).</summary>
    public void Goto(Label target)
    {
        unconditional.Add((code.Count, target));
        code.Add(new(BpfInstruction.JMP | BpfInstruction.JA, 0, 0, 0));
    }

    /// <summary>Resolves labels and returns the program.</summary>
    public BpfInstruction[] Build()
    {
        var result = code.ToArray();
        foreach (var (at, t, f) in conditional)
        {
            var i = result[at];
            result[at] = i with { JumpTrue = Offset8(at, t), JumpFalse = Offset8(at, f) };
        }

        foreach (var (at, target) in unconditional)
        {
            result[at] = result[at] with { K = (uint)Offset(at, target) };
        }

        if (result.Length is 0 or > 4096)
        {
            throw new InvalidOperationException($"a seccomp program has 1..4096 instructions, this one {result.Length}");
        }

        return result;
    }

    private void Conditional(ushort op, uint k, Label t, Label f)
    {
        conditional.Add((code.Count, t, f));
        code.Add(new((ushort)(BpfInstruction.JMP | op | BpfInstruction.K_), 0, 0, k));
    }

    private int Offset(int at, Label label)
    {
        var target = labels[label.Id];
        if (target < 0)
        {
            throw new InvalidOperationException("jump to a label that was never placed");
        }

        var offset = target - at - 1;
        return offset < 0 ? throw new InvalidOperationException("BPF jumps only go forward") : offset;
    }

    private byte Offset8(int at, Label label)
    {
        var offset = Offset(at, label);
        return offset > 255 ? throw new InvalidOperationException($"conditional jump too far ({offset}); use Goto") : (byte)offset;
    }

    /// <summary>A jump target.</summary>
    public readonly record struct Label(int Id);
}
