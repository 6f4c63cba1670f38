using System.Reflection;
using System.Runtime.Loader;

namespace Sandrun.Linux.Tests;

/// <summary>
/// Both native binding layers (Sandrun.Linux's Libc and the engine's Posix) give each architecture its own open
/// flags. Each assembly is loaded next to the x86-64 or the arm64 build of Tmds.LibC (both ship in the test's
/// output) and must answer the kernel's documented values for that architecture: a hard-coded x86-64 value fails
/// the arm64 half.
/// </summary>
public sealed class NativeConstantsTests
{
    // include/uapi/asm-generic/fcntl.h (x86-64 uses it as is) and arch/arm64/include/uapi/asm/fcntl.h.
    private static readonly Dictionary<string, Dictionary<string, long>> Kernel = new()
    {
        ["linux-x64"] = new() { ["O_RDONLY"] = 0, ["O_WRONLY"] = 1, ["O_CREAT"] = 0x40, ["O_EXCL"] = 0x80, ["O_NONBLOCK"] = 0x800, ["O_DIRECTORY"] = 0x10000, ["O_NOFOLLOW"] = 0x20000, ["O_CLOEXEC"] = 0x80000 },
        ["linux-arm64"] = new() { ["O_RDONLY"] = 0, ["O_WRONLY"] = 1, ["O_CREAT"] = 0x40, ["O_EXCL"] = 0x80, ["O_NONBLOCK"] = 0x800, ["O_DIRECTORY"] = 0x4000, ["O_NOFOLLOW"] = 0x8000, ["O_CLOEXEC"] = 0x80000 },
    };

    [Theory]
    [InlineData("linux-x64", "Sandrun.Linux", "Sandrun.Linux.Native.Libc")]
    [InlineData("linux-arm64", "Sandrun.Linux", "Sandrun.Linux.Native.Libc")]
    [InlineData("linux-x64", "Sandrun", "Sandrun.Native.Posix")]
    [InlineData("linux-arm64", "Sandrun", "Sandrun.Native.Posix")]
    public void Open_flags_are_the_kernel_values_of_the_architecture(string rid, string assembly, string type)
    {
        var context = new ArchitectureContext(rid);
        try
        {
            var bindings = context.LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, assembly + ".dll")).GetType(type, throwOnError: true)!;
            var members = bindings.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static).Where(m => m.Name.StartsWith("O_", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(members);
            foreach (var member in members)
            {
                var value = Convert.ToInt64(member switch
                {
                    PropertyInfo p => p.GetValue(null),
                    FieldInfo f => f.GetValue(null),
                    _ => throw new InvalidOperationException(member.Name),
                }, System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(Kernel[rid].TryGetValue(member.Name, out var expected), $"{type}.{member.Name}: no documented value in this test");
                Assert.True(expected == value, $"{type}.{member.Name} on {rid}: 0x{value:x}, the kernel's is 0x{expected:x}");
            }
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Loads Tmds.LibC for <c>rid</c> and the binding assembly itself; everything else is shared with the test.</summary>
    private sealed class ArchitectureContext(string rid) : AssemblyLoadContext(rid, isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName assemblyName) =>
            assemblyName.Name == "Tmds.LibC"
                ? LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, "runtimes", Name!, "lib", "netstandard2.0", "Tmds.LibC.dll"))
                : null;
    }
}
