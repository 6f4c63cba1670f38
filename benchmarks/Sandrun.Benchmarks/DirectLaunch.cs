using System.Collections;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using Sandrun.Linux.Native;

namespace Sandrun.Benchmarks;

/// <summary>
/// The floor the harnesses compare a job against: a program started with glibc's <c>posix_spawn</c> (a vfork-like
/// clone and exec), its stdout read from a pipe, its exit awaited with <c>waitpid</c>, all on the calling thread.
/// Nothing of .NET's <c>Process</c> (its start lock, SIGCHLD dispatch to the thread pool, async pipe reads) is in
/// the way, and the program runs at <c>SCHED_OTHER</c> as Sandrun's jobs do, whatever policy the harness runs under
/// (<c>chrt -f</c>): the baseline inherits no realtime priority the jobs do not get.
/// </summary>
internal static unsafe partial class DirectLaunch
{
    private const int PosixSpawnSetSigmask = 0x08;
    private const int PosixSpawnSetScheduler = 0x20;
    private const int SchedOther = 0;
    private const int EIntr = 4;

    // glibc's posix_spawnattr_t is 336 bytes, posix_spawn_file_actions_t 80 and sigset_t 128 on 64-bit: room to spare.
    private const int OpaqueSize = 1024;

    private static readonly nint[] Environ = [.. Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
        .Select(e => Marshal.StringToCoTaskMemUTF8($"{e.Key}={e.Value}")), 0];

    /// <summary>Runs <paramref name="path"/> with <paramref name="argv"/> (argv[0] included) to its exit; its stdout as text.</summary>
    public static string Run(string path, params string[] argv)
    {
        var attr = NativeMemory.AllocZeroed(OpaqueSize);
        var actions = NativeMemory.AllocZeroed(OpaqueSize);
        var sigset = NativeMemory.AllocZeroed(OpaqueSize);
        var args = argv.Select(Marshal.StringToCoTaskMemUTF8).Append(0).ToArray();
        var file = Marshal.StringToCoTaskMemUTF8(path);
        var pipe = stackalloc int[2] { -1, -1 };
        try
        {
            Check(Libc.Pipe2(pipe, Libc.O_CLOEXEC) == 0 ? 0 : Marshal.GetLastPInvokeError(), "pipe2");
            Check(PosixSpawnattrInit(attr), "posix_spawnattr_init");
            Check(PosixSpawnFileActionsInit(actions), "posix_spawn_file_actions_init");
            Check(SigEmptySet(sigset) == 0 ? 0 : Marshal.GetLastPInvokeError(), "sigemptyset");
            Check(PosixSpawnattrSetSigmask(attr, sigset), "posix_spawnattr_setsigmask");
            Check(PosixSpawnattrSetSchedpolicy(attr, SchedOther), "posix_spawnattr_setschedpolicy");
            var priority = 0;
            Check(PosixSpawnattrSetSchedparam(attr, &priority), "posix_spawnattr_setschedparam");
            Check(PosixSpawnattrSetflags(attr, PosixSpawnSetScheduler | PosixSpawnSetSigmask), "posix_spawnattr_setflags");
            Check(PosixSpawnFileActionsAdddup2(actions, pipe[1], 1), "posix_spawn_file_actions_adddup2");
            int pid;
            fixed (nint* a = args)
            fixed (nint* e = Environ)
            {
                Check(PosixSpawn(&pid, (byte*)file, actions, attr, (byte**)a, (byte**)e), "posix_spawn");
            }

            Libc.CloseQuietly(ref pipe[1]);
            var output = new MemoryStream();
            var buffer = stackalloc byte[4096];
            while (true)
            {
                var n = Libc.Read(pipe[0], buffer, 4096);
                if (n > 0)
                {
                    output.Write(new ReadOnlySpan<byte>(buffer, (int)n));
                }
                else if (n == 0)
                {
                    break;
                }
                else if (Marshal.GetLastPInvokeError() != EIntr)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), "read");
                }
            }

            int status;
            while (WaitPid(pid, &status, 0) < 0)
            {
                if (Marshal.GetLastPInvokeError() != EIntr)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), "waitpid");
                }
            }

            return status == 0 ? Encoding.UTF8.GetString(output.ToArray()) : throw new InvalidOperationException($"{path} ended with wait status {status}");
        }
        finally
        {
            Libc.CloseQuietly(ref pipe[0]);
            Libc.CloseQuietly(ref pipe[1]);

            _ = PosixSpawnFileActionsDestroy(actions);
            _ = PosixSpawnattrDestroy(attr);
            NativeMemory.Free(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(sigset);
            Marshal.FreeCoTaskMem(file);
            foreach (var a in args)
            {
                Marshal.FreeCoTaskMem(a);
            }
        }
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw new Win32Exception(error, call);
        }
    }

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, int* status, int options);

    [LibraryImport("libc", EntryPoint = "sigemptyset", SetLastError = true)]
    private static partial int SigEmptySet(void* set);

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    private static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    private static partial int PosixSpawnattrInit(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    private static partial int PosixSpawnattrDestroy(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    private static partial int PosixSpawnattrSetflags(void* attr, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    private static partial int PosixSpawnattrSetSigmask(void* attr, void* sigset);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setschedpolicy")]
    private static partial int PosixSpawnattrSetSchedpolicy(void* attr, int policy);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setschedparam")]
    private static partial int PosixSpawnattrSetSchedparam(void* attr, int* param);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    private static partial int PosixSpawnFileActionsInit(void* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    private static partial int PosixSpawnFileActionsDestroy(void* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    private static partial int PosixSpawnFileActionsAdddup2(void* actions, int fd, int newFd);
}
