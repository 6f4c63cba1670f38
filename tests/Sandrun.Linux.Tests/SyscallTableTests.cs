using Sandrun.Linux.Seccomp;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Tests;

/// <summary>
/// The generated tables know every syscall the policy names, on both architectures: a name missing from a table is
/// silently left out of the filter, and an allowlisted syscall the table does not know answers EPERM.
/// </summary>
public sealed class SyscallTableTests
{
    // From 424 (pidfd_send_signal, Linux 5.1) on, every architecture gives a new syscall the same number.
    private const int FirstUnifiedNumber = 424;

    public static TheoryData<string> PolicyNames =>
        [.. DefaultSeccompPolicy.Allowed.Concat(DefaultSeccompPolicy.MustDeny).Concat(DefaultSeccompPolicy.Policy.Rules.Select(r => r.Syscall)).Distinct()];

    [Theory]
    [MemberData(nameof(PolicyNames))]
    public void Every_name_in_the_policy_is_a_syscall_of_x86_64_or_arm64_and_new_ones_are_on_both(string name)
    {
        var x86 = SyscallTable.X86_64.TryGet(name, out var x86Number);
        var arm = SyscallTable.Arm64.TryGet(name, out var armNumber);

        Assert.True(x86 || arm, $"'{name}' is a syscall of neither architecture's table");
        if (x86 && x86Number >= FirstUnifiedNumber)
        {
            Assert.True(arm && armNumber == x86Number, $"'{name}' is {x86Number} on x86-64 and must be the same on arm64");
        }
    }

    [Theory]
    [InlineData("cachestat", 451)]
    [InlineData("fchmodat2", 452)]
    [InlineData("map_shadow_stack", 453)]
    [InlineData("futex_wake", 454)]
    [InlineData("futex_wait", 455)]
    [InlineData("futex_requeue", 456)]
    [InlineData("statmount", 457)]
    [InlineData("listmount", 458)]
    [InlineData("lsm_get_self_attr", 459)]
    [InlineData("lsm_set_self_attr", 460)]
    [InlineData("lsm_list_modules", 461)]
    [InlineData("mseal", 462)]
    [InlineData("setxattrat", 463)]
    [InlineData("getxattrat", 464)]
    [InlineData("listxattrat", 465)]
    [InlineData("removexattrat", 466)]
    [InlineData("open_tree_attr", 467)]
    [InlineData("file_getattr", 468)]
    [InlineData("file_setattr", 469)]
    public void Syscalls_newer_than_the_headers_have_the_kernel_numbers_on_both_architectures(string name, int number)
    {
        Assert.Equal(number, SyscallTable.X86_64[name]);
        Assert.Equal(number, SyscallTable.Arm64[name]);
    }

    [Fact]
    public void X86_only_newer_syscalls_are_on_x86_64_alone()
    {
        Assert.Equal(335, SyscallTable.X86_64["uretprobe"]);
        Assert.Equal(336, SyscallTable.X86_64["uprobe"]);
        Assert.False(SyscallTable.Arm64.TryGet("uretprobe", out _));
        Assert.False(SyscallTable.Arm64.TryGet("uprobe", out _));
    }

    [Theory]
    [InlineData("fcntl", 25)]
    [InlineData("statfs", 43)]
    [InlineData("fstatfs", 44)]
    [InlineData("truncate", 45)]
    [InlineData("ftruncate", 46)]
    [InlineData("lseek", 62)]
    [InlineData("sendfile", 71)]
    [InlineData("newfstatat", 79)]
    [InlineData("fstat", 80)]
    [InlineData("mmap", 222)]
    [InlineData("fadvise64", 223)]
    public void Arm64_syscalls_named_through_the_64_bit_aliases_are_known(string name, int number)
    {
        // The generic header defines these as __NR_x → __NR3264_x; a generator that mixes the two names loses them.
        Assert.Equal(number, SyscallTable.Arm64[name]);
    }
}
