using System.Globalization;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Tests;

/// <summary>Python snippets for hostile jobs: raw syscalls through ctypes, errno names printed.</summary>
internal static class Hostile
{
    /// <summary>Defines sc(nr, *args) -> errno name ('OK' on success) and ctypes helpers.</summary>
    public const string Prelude = """
        import ctypes, errno, os, sys, socket, time
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        def sc(nr, *args):
            ctypes.set_errno(0)
            r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
            return 'OK' if r != -1 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))

        """;

    public static string Nr(string name) => SyscallTable.X86_64[name].ToString(CultureInfo.InvariantCulture);

    /// <summary>A program that calls one syscall and prints the errno name.</summary>
    public static string Syscall(string name, string args = "") => Prelude + $"print(sc({Nr(name)}{(args.Length > 0 ? ", " + args : "")}))\n";

    /// <summary>Runs x86-64 machine code (bytes) in an executable page.</summary>
    public static string MachineCode(string hexBytes) => Prelude + $$"""
        import mmap
        code = bytes.fromhex('{{hexBytes}}')
        m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        m.write(code)
        addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
        fn = ctypes.CFUNCTYPE(ctypes.c_long)(addr)
        print('returned', fn(), flush=True)
        """;
}
