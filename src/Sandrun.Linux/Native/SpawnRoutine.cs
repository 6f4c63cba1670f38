using System.Runtime.InteropServices;

namespace Sandrun.Linux.Native;

/// <summary>
/// The embedded spawn routine (built from spawn.c by build-blob.sh), mapped read+execute once per process.
/// Called through a normal (GC-transitioning) unmanaged function pointer: the call may block briefly and
/// the thread must be in preemptive mode while it does.
/// </summary>
internal static unsafe class SpawnRoutine
{
    private const int PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;
    private static readonly Lazy<nint> Entry = new(Load);

    /// <summary>Name of the embedded blob for this architecture, or null when unsupported.</summary>
    public static string? BlobName { get; } = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => "Sandrun.Linux.spawn.x86_64.bin",
        Architecture.Arm64 => "Sandrun.Linux.spawn.arm64.bin",
        _ => null,
    };

    /// <summary>Name of the embedded sandrun-init ELF for this architecture, or null when unsupported.</summary>
    public static string? InitName { get; } = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => "Sandrun.Linux.init.x86_64.elf",
        Architecture.Arm64 => "Sandrun.Linux.init.arm64.elf",
        _ => null,
    };

    /// <summary>
    /// Puts sandrun-init into a sealed, CLOEXEC memfd: the child execs it with execveat(AT_EMPTY_PATH), so
    /// nothing needs to be installed on the host or visible in the sandbox.
    /// </summary>
    public static int CreateInitMemfd()
    {
        const uint MFD_ALLOW_SEALING = 2;
        const int F_ADD_SEALS = 1033, F_SEAL_ALL = 1 | 2 | 4 | 8;
        var bytes = ReadBlob(InitName ?? throw new PlatformNotSupportedException($"no sandrun-init for {RuntimeInformation.ProcessArchitecture}"));
        var fd = Libc.MemfdCreate("sandrun-init", Libc.MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
        {
            throw Libc.Error("memfd_create for sandrun-init");
        }

        fixed (byte* p = bytes)
        {
            if (Libc.Write(fd, p, bytes.Length) != bytes.Length || Libc.Fcntl(fd, F_ADD_SEALS, F_SEAL_ALL) != 0)
            {
                var error = Libc.Error("write and seal sandrun-init");
                Libc.Close(fd);
                throw error;
            }
        }

        return Execution.ChildPipes.High(fd, "memfd_create");
    }

    /// <summary>The blob's bytes as embedded in this assembly.</summary>
    public static byte[] ReadBlob(string name)
    {
        using var stream = typeof(SpawnRoutine).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded spawn routine {name} is missing");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Runs the routine on a plan; returns the child pid or -errno.</summary>
    public static long Invoke(void* plan)
    {
        var fn = (delegate* unmanaged<void*, long>)Entry.Value;
        return fn(plan);
    }

    private static nint Load()
    {
        var bytes = ReadBlob(BlobName ?? throw new PlatformNotSupportedException($"no spawn routine for {RuntimeInformation.ProcessArchitecture}"));
        var size = (nuint)((bytes.Length + 4095) & ~4095);
        var mem = Libc.Mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == -1)
        {
            throw Libc.Error("mmap for the spawn routine");
        }

        bytes.CopyTo(new Span<byte>((void*)mem, bytes.Length));

        // Written first, then flipped to R+X: never writable and executable at once.
        if (Libc.Mprotect(mem, size, PROT_READ | PROT_EXEC) != 0)
        {
            var error = Libc.Error("mprotect(PROT_EXEC) for the spawn routine (is executable memory denied here?)");
            Libc.Munmap(mem, size);
            throw error;
        }

        return mem;
    }
}
