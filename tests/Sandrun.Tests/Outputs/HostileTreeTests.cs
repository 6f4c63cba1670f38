using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Sandrun.Outputs;

namespace Sandrun.Tests.Outputs;

/// <summary>
/// Output collection copes with any tree a job can build: it always returns, lists what it can, and says (with counts,
/// never names) what it left out. Not run in parallel with other tests: one of them counts this process's open fds.
/// </summary>
[Collection(nameof(HostileTreeTests))]
public sealed class HostileTreeTests : IDisposable
{
    private readonly string ws = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "sandrun-outputs-" + Guid.NewGuid().ToString("N"));

    public HostileTreeTests() => Directory.CreateDirectory(ws);

    public void Dispose()
    {
        // rm -rf removes trees deeper than PATH_MAX, which Directory.Delete cannot.
        using var rm = Process.Start("rm", ["-rf", "--", ws]);
        rm.WaitForExit();
    }

    [Fact]
    public void A_tree_deeper_than_PATH_MAX_is_walked_with_a_bounded_number_of_fds()
    {
        using (var root = HostileTree.Open(ws))
        {
            root.File("result.txt", "42");
            using (var deep = root.Chain("d", 5000))
            {
                deep.File("bottom.txt", "too deep");
            }

            using var shallow = root.Chain("s", 10);
            shallow.File("ok.txt", "fine");
        }

        var fdsBefore = Directory.GetFiles("/proc/self/fd").Length;
        var stopwatch = Stopwatch.StartNew();
        var collection = Collect();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"took {stopwatch.Elapsed}");
        Assert.Equal(["result.txt", string.Join('/', Enumerable.Repeat("s", 10)) + "/ok.txt"], collection.Files.Select(f => f.Path));
        Assert.Equal(["outputs: 1 files or directories were not considered: their path is longer than 1024 bytes or their name is not valid UTF-8"], collection.Notes);
        Assert.Equal(fdsBefore, Directory.GetFiles("/proc/self/fd").Length);
    }

    [Fact]
    public void Names_with_newlines_and_control_characters_are_listed_and_invalid_UTF8_is_skipped()
    {
        using (var root = HostileTree.Open(ws))
        {
            root.File("line\nbreak.txt", "1");
            root.File("tab\tand\u0001ctl", "2");
            root.File("carriage\r\nreturn", "3");
            root.File("ünïcödé.txt", "4");
            root.File([0x66, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74, 0], "not UTF-8");
            using var bad = root.Directory([0xc3, 0x28, 0]);
            bad.File("inside.txt", "under a name that is not UTF-8");
        }

        var collection = Collect();

        Assert.Equal(["carriage\r\nreturn", "line\nbreak.txt", "tab\tand\u0001ctl", "ünïcödé.txt"], collection.Files.Select(f => f.Path));
        Assert.Equal(Sha("1"), collection.Files.Single(f => f.Path == "line\nbreak.txt").Sha256);
        Assert.Equal(["outputs: 2 files or directories were not considered: their path is longer than 1024 bytes or their name is not valid UTF-8"], collection.Notes);
    }

    [Fact]
    public void Special_files_and_symlinks_are_never_outputs_and_never_block()
    {
        using (var root = HostileTree.Open(ws))
        {
            root.File("real.txt", "real");
            root.Fifo("pipe");
            root.Socket("socket");
            root.NullDevice("null");
            root.Symlink("b", "a");
            root.Symlink("a", "b");
            root.Symlink(".", "self");
            root.Symlink("nowhere/at/all", "dangling");
            root.Symlink("/etc/passwd", "passwd");
            using var loop = root.Directory("loop");
            loop.Symlink("..", "up");
        }

        var collection = Collect();

        Assert.Equal(["real.txt"], collection.Files.Select(f => f.Path));
        Assert.Empty(collection.Notes);
    }

    [Fact]
    public void Hard_links_are_listed_each_and_hashed_once()
    {
        using (var root = HostileTree.Open(ws))
        {
            root.File("big.bin", new string('x', 4000));
            for (var i = 0; i < 200; i++)
            {
                root.HardLink("big.bin", $"link{i:D3}");
            }
        }

        // 201 paths to one 4000-byte inode fit a 5000-byte hashing budget: the content is read once.
        var collection = Collect(OutputLimits.Default with { MaxHashedBytes = 5000 });

        Assert.Equal(201, collection.Files.Count);
        Assert.All(collection.Files, f => Assert.Equal(Sha(new string('x', 4000)), f.Sha256));
        Assert.Empty(collection.Notes);
    }

    [Fact]
    public void Paths_up_to_the_cap_are_listed_and_longer_ones_are_not()
    {
        using (var root = HostileTree.Open(ws))
        {
            using var a = root.Directory(new string('a', 200));
            using var b = a.Directory(new string('b', 200));
            using var c = b.Directory(new string('c', 200));
            using var d = c.Directory(new string('d', 200));

            // 4 × 201 bytes of directories, then a name of 220 (exactly 1024 bytes) and one of 221.
            d.File(new string('e', 220), "at the cap");
            d.File(new string('f', 221), "over the cap");
        }

        var collection = Collect();

        var listed = Assert.Single(collection.Files);
        Assert.Equal(1024, Encoding.UTF8.GetByteCount(listed.Path));
        Assert.EndsWith(new string('e', 220), listed.Path, StringComparison.Ordinal);
        Assert.Single(collection.Notes);
    }

    [Fact]
    public void Huge_numbers_of_entries_stop_at_the_entry_budget()
    {
        using (var root = HostileTree.Open(ws))
        {
            for (var i = 0; i < 1000; i++)
            {
                root.File($"f{i:D4}", "");
            }
        }

        var collection = Collect(OutputLimits.Default with { MaxEntries = 300, MaxFiles = 100 });

        Assert.Equal(100, collection.Files.Count);
        Assert.Contains("outputs: only 100 outputs are listed", collection.Notes);

        var walkLimited = Collect(OutputLimits.Default with { MaxEntries = 300 });
        Assert.Equal(300, walkLimited.Files.Count);
        Assert.Equal(["outputs: the workspace has more than 300 entries; only the first 300 were looked at"], walkLimited.Notes);
    }

    [Fact]
    public void Content_beyond_the_hashing_budget_is_left_out_and_said()
    {
        using (var root = HostileTree.Open(ws))
        {
            root.File("a.bin", new string('a', 60));
            root.File("b.bin", new string('b', 60));
            root.File("c.bin", new string('c', 30));
        }

        var collection = Collect(OutputLimits.Default with { MaxHashedBytes = 100 });

        Assert.Equal(["a.bin", "c.bin"], collection.Files.Select(f => f.Path));
        Assert.Equal(["outputs: 1 files were not listed: the outputs' content is hashed up to 100 bytes in all"], collection.Notes);
    }

    [Fact]
    public void Files_and_directories_that_vanish_during_collection_are_left_out()
    {
        using (var root = HostileTree.Open(ws))
        {
            root.File("a.txt", "stays");
            root.File("b.txt", "goes");
            using var later = root.Directory("later");
            later.File("x.txt", "goes with its directory");
        }

        // The matcher runs just before each file is opened: the first file it sees removes the others.
        var collection = OutputCollector.Collect(ws, new Dictionary<string, string>(), path =>
        {
            if (path == "a.txt")
            {
                File.Delete(Path.Combine(ws, "b.txt"));
                Directory.Delete(Path.Combine(ws, "later"), recursive: true);
            }

            return true;
        });

        Assert.Equal(["a.txt"], collection.Files.Select(f => f.Path));
        Assert.Equal(["outputs: 1 directories could not be read"], collection.Notes);
    }

    [Fact]
    public void A_workspace_that_cannot_be_opened_is_an_IO_error()
    {
        Assert.Throws<IOException>(() => OutputCollector.Collect(Path.Combine(ws, "missing"), new Dictionary<string, string>(), null));
    }

    private OutputCollection Collect(OutputLimits? limits = null) => OutputCollector.Collect(ws, new Dictionary<string, string>(), null, null, limits);

    private static string Sha(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
}

/// <summary>Runs <see cref="HostileTreeTests"/> alone, so other tests' files do not change its fd counts.</summary>
[CollectionDefinition(nameof(HostileTreeTests), DisableParallelization = true)]
public sealed class HostileTreeCollection
{
}
