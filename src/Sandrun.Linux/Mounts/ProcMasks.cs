using System.Globalization;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Mounts;

/// <summary>
/// What a job's /proc hides: runc's masked paths, plus what identifies the host (its kernel command line, disks,
/// swap, key users, boot id and memory). Each masked path gets a bind of a file staged here, in a tmpfs of its own
/// (<see cref="StagedTmpfs"/>): an empty file or directory, a boot_id random per sandbox instance, and a meminfo
/// that shows the job's memory limit as MemTotal (one per distinct limit, staged on first use and kept, as LXCFS
/// does), because Node's os.totalmem(), psutil and friends read it. Only paths this kernel has are masked. The
/// staging mount is read-only, nosuid, nodev and noexec, so each bind inherits that and needs no second syscall;
/// new meminfo files are written through a detached writable copy of the mount that only this class holds.
/// </summary>
internal sealed class ProcMasks : IDisposable
{
    private const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32, MS_BIND = 4096;
    private const uint OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0x80000;
    private const string BootId = "/proc/sys/kernel/random/boot_id";
    private static readonly string[] Directories = ["acpi", "asound", "scsi"];
    private static readonly string[] Files =
    [
        "kcore", "keys", "key-users", "latency_stats", "timer_list", "timer_stats", "sched_debug", "interrupts",
        "cmdline", "diskstats", "partitions", "swaps",
    ];

    private readonly Lock gate = new();
    private readonly Dictionary<long, string> meminfo = [];
    private readonly List<MaskEntry> masks;
    private int writable;

    private ProcMasks(string path, List<MaskEntry> masks, int writable)
    {
        Path = path;
        this.masks = masks;
        this.writable = writable;
    }

    public string Path { get; }

    /// <summary>An empty, read-only directory (also the second layer read-only overlays need).</summary>
    public string EmptyDirectory => System.IO.Path.Combine(Path, "empty.d");

    public static ProcMasks Create(string stateDirectory)
    {
        var path = StagedTmpfs.Mount(stateDirectory, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64m,nr_inodes=16384,mode=0755");
        try
        {
            var empty = System.IO.Path.Combine(path, "empty");
            var emptyDirectory = System.IO.Path.Combine(path, "empty.d");
            var bootId = System.IO.Path.Combine(path, "boot_id");
            Write(empty, string.Empty);
            Directory.CreateDirectory(emptyDirectory);
            File.SetUnixFileMode(emptyDirectory, (UnixFileMode)0x16d /* 0555 */);
            Write(bootId, Guid.NewGuid().ToString("D") + "\n");

            var masks = Directories.Where(d => Directory.Exists("/proc/" + d)).Select(d => new MaskEntry(emptyDirectory, "/proc/" + d))
                .Concat(Files.Where(f => File.Exists("/proc/" + f)).Select(f => new MaskEntry(empty, "/proc/" + f)))
                .Append(new MaskEntry(bootId, BootId))
                .ToList();
            var writable = Libc.OpenTree(path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
            if (writable < 0)
            {
                throw Libc.Error($"open_tree {path}");
            }

            if (Libc.Mount(null, path, null, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, null) != 0)
            {
                var error = Libc.Error($"make {path} read-only");
                Libc.Close(writable);
                throw error;
            }

            return new ProcMasks(path, masks, writable);
        }
        catch
        {
            StagedTmpfs.Unmount(path);
            throw;
        }
    }

    /// <summary>The masks of a job whose memory limit is <paramref name="memoryBytes"/>.</summary>
    public IEnumerable<MaskEntry> For(long memoryBytes) => masks.Append(new MaskEntry(Meminfo(memoryBytes / 1024), "/proc/meminfo"));

    public void Dispose()
    {
        Libc.CloseQuietly(ref writable);
        StagedTmpfs.Unmount(Path);
    }

    private string Meminfo(long kilobytes)
    {
        lock (gate)
        {
            if (!meminfo.TryGetValue(kilobytes, out var file))
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"meminfo-{kilobytes}");
                Write(string.Create(CultureInfo.InvariantCulture, $"/proc/self/fd/{writable}/{name}"), MeminfoText(kilobytes));
                file = System.IO.Path.Combine(Path, name);
                meminfo.Add(kilobytes, file);
            }

            return file;
        }
    }

    /// <summary>The fields readers expect, in the kernel's layout; all of the limit is free as the job starts.</summary>
    private static string MeminfoText(long kilobytes)
    {
        (string Name, long Value)[] fields =
        [
            ("MemTotal", kilobytes), ("MemFree", kilobytes), ("MemAvailable", kilobytes), ("Buffers", 0), ("Cached", 0),
            ("SwapCached", 0), ("Active", 0), ("Inactive", 0), ("Shmem", 0), ("Slab", 0), ("SReclaimable", 0),
            ("SUnreclaim", 0), ("SwapTotal", 0), ("SwapFree", 0),
        ];
        return string.Concat(fields.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Name + ":",-16}{f.Value,8} kB\n")));
    }

    private static void Write(string file, string contents)
    {
        File.WriteAllText(file, contents);
        File.SetUnixFileMode(file, (UnixFileMode)0x124 /* 0444 */);
    }
}
