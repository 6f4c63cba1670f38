using Sandrun.Linux.Seccomp;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Tests;

/// <summary>Checks the compiled filter instruction by instruction with a classic-BPF interpreter.</summary>
public sealed class SeccompCompilerTests
{
    private const uint Allow = 0x7fff0000, KillProcess = 0x80000000;
    private static readonly BpfInstruction[] X64 = SeccompCompiler.Compile(DefaultSeccompPolicy.Policy, SyscallTable.X86_64);
    private static readonly BpfInstruction[] Arm64 = SeccompCompiler.Compile(DefaultSeccompPolicy.Policy, SyscallTable.Arm64);

    private static uint Errno(int e) => 0x00050000u | (uint)e;

    private static uint Eval(BpfInstruction[] program, SyscallTable table, string syscall, params ulong[] args) =>
        BpfInterpreter.Run(program, (uint)table[syscall], table.AuditArch, args);

    [Fact]
    public void Every_allowed_syscall_is_allowed_on_both_architectures()
    {
        foreach (var (program, table) in new[] { (X64, SyscallTable.X86_64), (Arm64, SyscallTable.Arm64) })
        {
            foreach (var name in DefaultSeccompPolicy.Allowed.Where(n => table.TryGet(n, out _)))
            {
                Assert.True(Allow == Eval(program, table, name), $"{name} on {table.Name}");
            }
        }
    }

    [Fact]
    public void Every_syscall_SPEC_denies_is_denied_with_EPERM_unless_listed_otherwise()
    {
        foreach (var (program, table) in new[] { (X64, SyscallTable.X86_64), (Arm64, SyscallTable.Arm64) })
        {
            foreach (var name in DefaultSeccompPolicy.MustDeny.Where(n => table.TryGet(n, out _)))
            {
                Assert.True(Errno(1) == Eval(program, table, name), $"{name} on {table.Name}");
                Assert.DoesNotContain(DefaultSeccompPolicy.Policy.Rules, r => r.Syscall == name && r.Action.Kind == SeccompActionKind.Allow);
            }
        }
    }

    [Fact]
    public void Linux_aio_answers_ENOSYS_on_both_architectures()
    {
        foreach (var (program, table) in new[] { (X64, SyscallTable.X86_64), (Arm64, SyscallTable.Arm64) })
        {
            foreach (var name in DefaultSeccompPolicy.LinuxAio)
            {
                Assert.True(Errno(38) == Eval(program, table, name), $"{name} on {table.Name}");
            }
        }
    }

    [Fact]
    public void Unknown_syscall_numbers_get_the_default_action()
    {
        Assert.Equal(Errno(1), BpfInterpreter.Run(X64, 999, SyscallTable.X86_64.AuditArch, []));
        Assert.Equal(Errno(1), BpfInterpreter.Run(X64, 0x3FFFFFFF, SyscallTable.X86_64.AuditArch, []));
    }

    [Fact]
    public void Every_syscall_number_gets_the_action_its_first_rule_or_the_default_gives()
    {
        // The dispatch searches runs of consecutive numbers: a wrong run boundary would hand a number its neighbour's
        // action, so every number the filter can see is checked against the policy itself, not against a few names.
        foreach (var (program, table) in new[] { (X64, SyscallTable.X86_64), (Arm64, SyscallTable.Arm64) })
        {
            AssertMatchesPolicy(DefaultSeccompPolicy.Policy, program, table);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_policies_compile_to_the_action_of_every_number(int seed)
    {
        // Random runs, gaps, adjacent equal actions and a rule at number 0 or at the table's top exercise every
        // boundary of the segment search.
        var random = new Random(seed);
        SeccompAction[] actions = [SeccompAction.Allow, SeccompAction.Fail(1), SeccompAction.Fail(38), SeccompAction.KillProcess];
        foreach (var table in new[] { SyscallTable.X86_64, SyscallTable.Arm64 })
        {
            var rules = table.Names.Where(_ => random.Next(3) > 0).Select(n => new SyscallRule(n, actions[random.Next(actions.Length)])).ToList();
            var policy = new SeccompPolicy(actions[random.Next(actions.Length)], rules);
            AssertMatchesPolicy(policy, SeccompCompiler.Compile(policy, table), table);
        }
    }

    private static void AssertMatchesPolicy(SeccompPolicy policy, BpfInstruction[] program, SyscallTable table)
    {
        var first = new Dictionary<uint, SyscallRule>();
        foreach (var rule in policy.Rules)
        {
            if (table.TryGet(rule.Syscall, out var nr))
            {
                first.TryAdd((uint)nr, rule);
            }
        }

        var top = first.Keys.DefaultIfEmpty(0u).Max();
        var numbers = Enumerable.Range(0, (int)top + 64).Select(n => (uint)n).Concat([0x3FFFFFFEu, 0x3FFFFFFFu]);
        if (!table.HasX32)
        {
            numbers = numbers.Concat([0x40000000u, 0x7FFFFFFFu, 0x80000000u, uint.MaxValue]);
        }

        foreach (var nr in numbers)
        {
            if (first.TryGetValue(nr, out var rule) && rule.Conditions.Count > 0)
            {
                continue;
            }

            var expected = first.TryGetValue(nr, out rule) ? rule.Action.ReturnValue : policy.DefaultAction.ReturnValue;
            var actual = BpfInterpreter.Run(program, nr, table.AuditArch, [0, 0, 0, 0, 0, 0]);
            Assert.True(expected == actual, $"{table.Name} syscall {nr}: expected {expected:x8}, got {actual:x8}");
        }
    }

    [Fact]
    public void Foreign_architectures_and_x32_are_killed()
    {
        const uint i386 = 0x40000003, aarch32 = 0x40000028;
        Assert.Equal(KillProcess, BpfInterpreter.Run(X64, 20, i386, []));
        Assert.Equal(KillProcess, BpfInterpreter.Run(Arm64, 20, aarch32, []));
        Assert.Equal(KillProcess, BpfInterpreter.Run(Arm64, 63, SyscallTable.X86_64.AuditArch, []));
        Assert.Equal(KillProcess, BpfInterpreter.Run(X64, 0x40000000 | 39, SyscallTable.X86_64.AuditArch, []));
        Assert.Equal(KillProcess, BpfInterpreter.Run(X64, 0x40000000 | 0, SyscallTable.X86_64.AuditArch, []));
    }

    [Fact]
    public void Clone_with_namespace_flags_is_denied_and_clone3_answers_ENOSYS()
    {
        const ulong threadFlags = 0x3d0f00, sigchld = 17;
        Assert.Equal(Allow, Eval(X64, SyscallTable.X86_64, "clone", threadFlags));
        Assert.Equal(Allow, Eval(X64, SyscallTable.X86_64, "clone", sigchld));
        foreach (var ns in new ulong[] { 0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000 })
        {
            Assert.Equal(Errno(1), Eval(X64, SyscallTable.X86_64, "clone", sigchld | ns));
            Assert.Equal(Errno(1), Eval(Arm64, SyscallTable.Arm64, "clone", sigchld | ns));
        }

        Assert.Equal(Errno(38), Eval(X64, SyscallTable.X86_64, "clone3", 0, 88));
    }

    [Fact]
    public void TIOCSTI_and_TIOCLINUX_are_denied_even_with_high_bits_set()
    {
        foreach (var request in new ulong[] { 0x5412, 0x541C, 0x123UL << 32 | 0x5412, 0xFFFFFFFF00000000 | 0x541C })
        {
            Assert.Equal(Errno(1), Eval(X64, SyscallTable.X86_64, "ioctl", 0, request));
        }

        Assert.Equal(Allow, Eval(X64, SyscallTable.X86_64, "ioctl", 1, 0x5401 /* TCGETS */));
        Assert.Equal(Allow, Eval(X64, SyscallTable.X86_64, "ioctl", 1, 0x5413 /* TIOCGWINSZ */));
    }

    [Fact]
    public void Only_unix_and_inet_sockets_can_be_created()
    {
        foreach (var family in new ulong[] { 1, 2, 10 })
        {
            Assert.Equal(Allow, Eval(X64, SyscallTable.X86_64, "socket", family, 1));
        }

        foreach (var family in new ulong[] { 16 /* netlink */, 17 /* packet */, 38 /* alg */, 40 /* vsock */, 4, 41, 0x1_0000_0002 & 0xFFFFFFFF })
        {
            var expected = family == 2 ? Allow : Errno(97);
            Assert.Equal(expected, Eval(X64, SyscallTable.X86_64, "socket", family, 1));
        }
    }

    [Fact]
    public void Personality_only_accepts_the_harmless_personas()
    {
        Assert.Equal(Allow, Eval(X64, SyscallTable.X86_64, "personality", 0xffffffff));
        Assert.Equal(Allow, Eval(X64, SyscallTable.X86_64, "personality", 0));
        Assert.Equal(Errno(1), Eval(X64, SyscallTable.X86_64, "personality", 0x0400000 /* READ_IMPLIES_EXEC */));
    }

    [Fact]
    public void Sixty_four_bit_conditions_compare_both_words()
    {
        var policy = new SeccompPolicy(SeccompAction.Fail(1),
        [
            new SyscallRule("read", SeccompAction.Allow, [new ArgCondition(0, ArgOperator.Equal, 0x1_0000_0005, Is32Bit: false)]),
            new SyscallRule("write", SeccompAction.Fail(13), [new ArgCondition(2, ArgOperator.NotEqual, 0x2_0000_0000, Is32Bit: false)]),
            new SyscallRule("write", SeccompAction.Allow),
        ]);
        var program = SeccompCompiler.Compile(policy, SyscallTable.X86_64);
        Assert.Equal(Allow, Eval(program, SyscallTable.X86_64, "read", 0x1_0000_0005));
        Assert.Equal(Errno(1), Eval(program, SyscallTable.X86_64, "read", 0x5));
        Assert.Equal(Errno(1), Eval(program, SyscallTable.X86_64, "read", 0x2_0000_0005));
        Assert.Equal(Errno(13), Eval(program, SyscallTable.X86_64, "write", 0, 0, 0x5));
        Assert.Equal(Errno(13), Eval(program, SyscallTable.X86_64, "write", 0, 0, 0x3_0000_0000));
        Assert.Equal(Allow, Eval(program, SyscallTable.X86_64, "write", 0, 0, 0x2_0000_0000));
    }

    [Fact]
    public void Every_lookup_is_a_short_binary_search()
    {
        // The kernel runs the filter once per syscall number at attach time, and on every call of an
        // argument-filtered syscall: the longest path must stay logarithmic, not linear in the allowlist.
        Assert.InRange(X64.Length, 10, 4096);
        var longest = Enumerable.Range(0, 470).Max(nr => BpfInterpreter.Steps(X64, (uint)nr, SyscallTable.X86_64.AuditArch, [0, 0x5412]));
        Assert.InRange(longest, 5, 40);
    }

    [Fact]
    public void Assembler_rejects_backward_and_unplaced_labels()
    {
        var asm = new BpfAssembler();
        var never = asm.NewLabel();
        asm.Goto(never);
        Assert.Throws<InvalidOperationException>(() => asm.Build());

        var back = new BpfAssembler();
        var start = back.NewLabel();
        back.Mark(start);
        back.Return(0);
        back.Goto(start);
        Assert.Throws<InvalidOperationException>(() => back.Build());
    }
}

/// <summary>Classic BPF as the kernel runs it for seccomp (struct seccomp_data input).</summary>
internal static class BpfInterpreter
{
    public static uint Run(BpfInstruction[] program, uint nr, uint arch, ulong[] args) => Execute(program, nr, arch, args).Result;

    public static int Steps(BpfInstruction[] program, uint nr, uint arch, ulong[] args) => Execute(program, nr, arch, args).Steps;

    private static (uint Result, int Steps) Execute(BpfInstruction[] program, uint nr, uint arch, ulong[] args)
    {
        var data = new byte[64];
        BitConverter.TryWriteBytes(data.AsSpan(0), nr);
        BitConverter.TryWriteBytes(data.AsSpan(4), arch);
        for (var i = 0; i < args.Length; i++)
        {
            BitConverter.TryWriteBytes(data.AsSpan(16 + (8 * i)), args[i]);
        }

        uint a = 0;
        var steps = 0;
        for (var pc = 0; pc < program.Length; pc++)
        {
            var ins = program[pc];
            steps++;
            switch (ins.Code)
            {
                case 0x20: a = BitConverter.ToUInt32(data, (int)ins.K); break;
                case 0x54: a &= ins.K; break;
                case 0x05: pc += (int)ins.K; break;
                case 0x15: pc += a == ins.K ? ins.JumpTrue : ins.JumpFalse; break;
                case 0x25: pc += a > ins.K ? ins.JumpTrue : ins.JumpFalse; break;
                case 0x35: pc += a >= ins.K ? ins.JumpTrue : ins.JumpFalse; break;
                case 0x45: pc += (a & ins.K) != 0 ? ins.JumpTrue : ins.JumpFalse; break;
                case 0x06: return (ins.K, steps);
                default: throw new InvalidOperationException($"unexpected opcode 0x{ins.Code:x}");
            }
        }

        throw new InvalidOperationException("fell off the end of the program");
    }
}
