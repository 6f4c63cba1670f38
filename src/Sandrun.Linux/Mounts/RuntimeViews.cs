using System.Diagnostics;
using System.Globalization;
using Sandrun.Abstractions;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Mounts;

/// <summary>
/// Read-only overlay views of the runtime directories (/usr, …), staged on the host and bound into every job.
/// Like a view the job mounts itself, a staged one names neither the host path nor the host's block device in
/// mountinfo (its layers are given as <c>/proc/self/fd/N</c>). Unlike one, it is shared: a fresh overlay starts
/// with no dentries or inodes of its own, so every file a job opens through it (ld.so, libc, an interpreter's
/// modules) pays for setting them up, measured at ~0.3–0.6 ms of a /bin/true spawn. Overlayfs does not follow
/// changes to its lower layer (a package upgrade replacing a file), so a generation of views serves new jobs
/// for <see cref="LinuxSandboxOptions.RuntimeViewLifetime"/> only: a job sees the host's runtime as it was at
/// most that long before it started. A retired generation is unmounted once no spawn still needs its paths;
/// jobs that bound it keep their own reference to it.
/// </summary>
internal sealed class RuntimeViews : IDisposable
{
    private const string Prefix = "view";
    private const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4;
    private const int O_PATH = 0x200000;

    private readonly IReadOnlyList<MountEntry> runtime;
    private readonly string stateDirectory;
    private readonly string emptyLayer;
    private readonly long lifetimeTicks;
    private readonly Lock gate = new();
    private Generation? current;
    private bool disposed;

    public RuntimeViews(IReadOnlyList<MountEntry> runtime, string stateDirectory, string emptyLayer, TimeSpan lifetime)
    {
        this.runtime = runtime;
        this.stateDirectory = stateDirectory;
        this.emptyLayer = emptyLayer;
        lifetimeTicks = (long)(lifetime.TotalSeconds * Stopwatch.Frequency);
        foreach (var stale in StaleInstances.Find(stateDirectory, Prefix))
        {
            Unmount(stale);
        }

        // Staged now, so a host where overlayfs cannot be mounted fails at start, not at the first job.
        Acquire().Dispose();
    }

    /// <summary>The runtime entries to mount for one spawn; disposing the lease says the spawn no longer needs the staged paths.</summary>
    public Lease Acquire()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (current is null || Stopwatch.GetTimestamp() - current.Created > lifetimeTicks)
            {
                var next = Stage();
                Retire(current);
                current = next;
            }

            current.Leases++;
            return new Lease(this, current);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            Retire(current);
            current = null;
        }
    }

    private void Release(Generation generation)
    {
        lock (gate)
        {
            generation.Leases--;
            if (generation.Retired && generation.Leases == 0)
            {
                UnmountAll(generation);
            }
        }
    }

    private static void Retire(Generation? generation)
    {
        if (generation is null)
        {
            return;
        }

        generation.Retired = true;
        if (generation.Leases == 0)
        {
            UnmountAll(generation);
        }
    }

    private Generation Stage()
    {
        var entries = new List<MountEntry>(runtime.Count);
        var staged = new List<string>();
        try
        {
            foreach (var entry in runtime)
            {
                if (entry is ReadOnlyViewEntry view)
                {
                    var path = StaleInstances.NewPath(stateDirectory, Prefix);
                    staged.Add(path);
                    MountOverlay(view.Source, path);
                    entries.Add(new BindEntry(path, view.Target, ReadOnly: true));
                }
                else
                {
                    entries.Add(entry);
                }
            }
        }
        catch (Exception e)
        {
            staged.ForEach(Unmount);
            throw new SandboxUnavailableException("staging the read-only views of the runtime failed: " + e.Message, e);
        }

        return new Generation(entries, staged, Stopwatch.GetTimestamp());
    }

    private void MountOverlay(string source, string path)
    {
        Directory.CreateDirectory(path);
        var lower = Libc.Open(source, O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        var empty = lower < 0 ? -1 : Libc.Open(emptyLayer, O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        try
        {
            if (lower < 0 || empty < 0)
            {
                throw Libc.Error($"open {(lower < 0 ? source : emptyLayer)} for a read-only view");
            }

            var layers = string.Create(CultureInfo.InvariantCulture, $"lowerdir=/proc/self/fd/{lower}:/proc/self/fd/{empty}");
            if (Libc.Mount("overlay", path, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV, layers) != 0)
            {
                throw Libc.Error($"mount a read-only overlay view of {source} on {path}");
            }
        }
        catch
        {
            Directory.Delete(path);
            throw;
        }
        finally
        {
            Libc.CloseQuietly(ref lower);
            Libc.CloseQuietly(ref empty);
        }
    }

    private static void UnmountAll(Generation generation)
    {
        foreach (var path in generation.Paths)
        {
            Unmount(path);
        }
    }

    /// <summary>Detaches the view and removes its mount point; never recursive, so a view still mounted is never descended into.</summary>
    private static void Unmount(string path)
    {
        Libc.Umount2(path, Libc.MNT_DETACH);
        try
        {
            Directory.Delete(path);
        }
        catch (IOException)
        {
            // Still a mount point (the detach failed): left for the next start's stale sweep.
        }
    }

    /// <summary>One set of staged views.</summary>
    internal sealed class Generation(IReadOnlyList<MountEntry> entries, IReadOnlyList<string> paths, long created)
    {
        public IReadOnlyList<MountEntry> Entries { get; } = entries;

        public IReadOnlyList<string> Paths { get; } = paths;

        public long Created { get; } = created;

        public int Leases { get; set; }

        public bool Retired { get; set; }
    }

    /// <summary>The runtime entries for one spawn, valid until disposed.</summary>
    internal sealed class Lease : IDisposable
    {
        private readonly RuntimeViews owner;
        private Generation? generation;

        internal Lease(RuntimeViews owner, Generation generation)
        {
            this.owner = owner;
            this.generation = generation;
            Entries = generation.Entries;
        }

        /// <summary>The runtime as mount entries: binds of the staged views, and the runtime's symlinks.</summary>
        public IReadOnlyList<MountEntry> Entries { get; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref generation, null) is { } g)
            {
                owner.Release(g);
            }
        }
    }
}
