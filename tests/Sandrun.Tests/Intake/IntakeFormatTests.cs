using System.Text;
using Sandrun.Intake;
using SharpCompress.Common;
using static Sandrun.Tests.Intake.ArchiveFixtures;
using static Sandrun.Tests.Intake.IntakeSandbox;

namespace Sandrun.Tests.Intake;

/// <summary>Uploads that must be accepted: every archive format, plain files, merging, modes, owners, safe links.</summary>
public sealed class IntakeFormatTests : IDisposable
{
    private readonly IntakeSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task Plain_file_is_stored_under_its_name_with_its_hash_and_mode_0644()
    {
        var result = await sandbox.RunAsync(Part("main.py", Utf8("print(1)\n")));

        Assert.Equal(new Dictionary<string, string> { ["main.py"] = Sha256("print(1)\n") }, result.Files);
        Assert.Equal(9, result.TotalBytes);
        Assert.Equal("print(1)\n", sandbox.Read("main.py"));
        Assert.Equal($"{Uid}:{Gid} 644 regular file", sandbox.Stat("main.py"));
        sandbox.AssertNothingOutside();
    }

    [Fact]
    public async Task Tar_extracts_nested_directories_with_exact_modes_and_keeps_the_exec_bit()
    {
        var tar = new TarBuilder()
            .Directory("src/")
            .File("src/lib/util.py", "x = 1\n")
            .File("run.sh", "#!/bin/sh\necho hi\n", mode: 0b111_100_100)
            .File("data/only-group-exec", "g", mode: 0b110_101_100)
            .File("plain.txt", "text", mode: 0b111_111_111 & ~0b001_001_001)
            .ToTar();

        var result = await sandbox.RunAsync(Part("job.tar", tar));

        Assert.Equal(["data/only-group-exec", "plain.txt", "run.sh", "src/lib/util.py"], result.Files.Keys);
        Assert.Equal(Sha256("x = 1\n"), result.Files["src/lib/util.py"]);
        Assert.Equal($"{Uid}:{Gid} 755 directory", sandbox.Stat("src"));
        Assert.Equal($"{Uid}:{Gid} 755 directory", sandbox.Stat("src/lib"));
        Assert.Equal($"{Uid}:{Gid} 644 regular file", sandbox.Stat("src/lib/util.py"));
        Assert.Equal($"{Uid}:{Gid} 755 regular file", sandbox.Stat("run.sh"));
        Assert.Equal($"{Uid}:{Gid} 755 regular file", sandbox.Stat("data/only-group-exec"));
        Assert.Equal($"{Uid}:{Gid} 644 regular file", sandbox.Stat("plain.txt"));
        sandbox.AssertNothingOutside();
    }

    [Theory]
    [InlineData("job.tar.gz", CompressionType.GZip)]
    [InlineData("job.tgz", CompressionType.GZip)]
    [InlineData("JOB.TAR", CompressionType.None)]
    public async Task Tar_written_by_SharpCompress_is_extracted(string name, CompressionType compression)
    {
        var archive = SharpCompressArchive(ArchiveType.Tar, compression, ("main.py", "import lib.a\n"), ("lib/a.py", "A = 1\n"), ("lib/sub/b.txt", "b"));

        var result = await sandbox.RunAsync(Part(name, archive));

        Assert.Equal(["lib/a.py", "lib/sub/b.txt", "main.py"], result.Files.Keys);
        Assert.Equal("A = 1\n", sandbox.Read("lib/a.py"));
        Assert.Equal(Sha256("b"), result.Files["lib/sub/b.txt"]);
        Assert.Equal(13 + 6 + 1, result.TotalBytes);
        sandbox.AssertNothingOutside();
    }

    [Fact]
    public async Task Zip_written_by_SharpCompress_is_extracted()
    {
        var archive = SharpCompressArchive(ArchiveType.Zip, CompressionType.Deflate, ("index.js", "console.log(1)\n"), ("lib/x/y.js", "module.exports = 2\n"));

        var result = await sandbox.RunAsync(Part("job.zip", archive));

        Assert.Equal(["index.js", "lib/x/y.js"], result.Files.Keys);
        Assert.Equal("module.exports = 2\n", sandbox.Read("lib/x/y.js"));
        Assert.Equal($"{Uid}:{Gid} 644 regular file", sandbox.Stat("index.js"));
        Assert.Equal($"{Uid}:{Gid} 755 directory", sandbox.Stat("lib/x"));
        sandbox.AssertNothingOutside();
    }

    [Fact]
    public async Task Zip_keeps_the_exec_bit_from_unix_attributes_and_creates_directory_entries()
    {
        var archive = Zip(
            ("bin/", UnixDirectory | 0b111_101_101, []),
            ("bin/run", UnixRegular | 0b111_101_101, Utf8("#!/bin/sh\n")),
            ("notes.txt", UnixRegular | 0b110_100_100, Utf8("n")),
            ("dos.txt", 0, Utf8("made elsewhere")));

        var result = await sandbox.RunAsync(Part("job.zip", archive));

        Assert.Equal(["bin/run", "dos.txt", "notes.txt"], result.Files.Keys);
        Assert.Equal($"{Uid}:{Gid} 755 regular file", sandbox.Stat("bin/run"));
        Assert.Equal($"{Uid}:{Gid} 644 regular file", sandbox.Stat("notes.txt"));
        Assert.Equal($"{Uid}:{Gid} 644 regular file", sandbox.Stat("dos.txt"));
        Assert.Equal($"{Uid}:{Gid} 755 directory", sandbox.Stat("bin"));
    }

    [Fact]
    public async Task Dot_slash_names_and_the_root_entry_of_tar_dash_C_archives_are_accepted()
    {
        var tar = new TarBuilder().Directory("./").Directory("./pkg/").File("./pkg/./m.py", "m").File("./top.py", "t").ToTarGz();

        var result = await sandbox.RunAsync(Part("job.tgz", tar));

        Assert.Equal(["pkg/m.py", "top.py"], result.Files.Keys);
        sandbox.AssertNothingOutside();
    }

    [Fact]
    public async Task Parts_are_merged_and_a_later_file_replaces_an_earlier_one()
    {
        var first = new TarBuilder().File("a/x.txt", "first").File("a/keep.txt", "keep").ToTar();
        var second = new TarBuilder().File("a/x.txt", "second").File("b/y.txt", "y").ToTarGz();

        var result = await sandbox.RunAsync(Part("one.tar", first), Part("two.tar.gz", second), Part("job.json", Utf8("{}")));

        Assert.Equal(["a/keep.txt", "a/x.txt", "b/y.txt", "job.json"], result.Files.Keys);
        Assert.Equal("second", sandbox.Read("a/x.txt"));
        Assert.Equal(Sha256("second"), result.Files["a/x.txt"]);
        Assert.Equal(4 + 6 + 1 + 2, result.TotalBytes);
        sandbox.AssertNothingOutside();
    }

    [Fact]
    public async Task Duplicate_entries_in_one_archive_resolve_to_the_last_one()
    {
        var tar = new TarBuilder().File("f", "1").File("f", "2", mode: 0b111_101_101).File("f", "3").ToTar();

        var result = await sandbox.RunAsync(Part("job.tar", tar));

        Assert.Equal("3", sandbox.Read("f"));
        Assert.Equal(Sha256("3"), result.Files["f"]);
        Assert.Equal($"{Uid}:{Gid} 644 regular file", sandbox.Stat("f"));
    }

    [Fact]
    public async Task Names_differing_only_in_case_are_different_files()
    {
        var tar = new TarBuilder().File("a", "lower").File("A", "upper").ToTar();

        var result = await sandbox.RunAsync(Part("job.tar", tar));

        Assert.Equal(["A", "a"], result.Files.Keys);
        Assert.Equal("lower", sandbox.Read("a"));
        Assert.Equal("upper", sandbox.Read("A"));
    }

    [Fact]
    public async Task Long_names_through_GNU_and_PAX_headers_are_read()
    {
        var deep = string.Join('/', Enumerable.Repeat("directory", 20)) + "/file.txt";
        var tar = new TarBuilder().LongNameFile(deep, "gnu").Pax(("path", "pax/" + deep)).File("ignored-header-name", "pax").ToTar();

        var result = await sandbox.RunAsync(Part("job.tar", tar));

        Assert.Equal([deep, "pax/" + deep], result.Files.Keys);
        Assert.Equal("pax", sandbox.Read("pax/" + deep));
    }

    [Fact]
    public async Task Symlinks_that_stay_inside_are_created_as_symlinks()
    {
        var tar = new TarBuilder()
            .File("lib/real.py", "R")
            .Symlink("alias.py", "lib/real.py")
            .Symlink("lib/up", "../alias.py")
            .Symlink("here", ".")
            .Symlink("dangling", "not/yet/there")
            .ToTar();

        var result = await sandbox.RunAsync(Part("job.tar", tar));

        Assert.Equal(["lib/real.py"], result.Files.Keys);
        Assert.Equal("lib/real.py", new FileInfo(sandbox.PathOf("alias.py")).LinkTarget);
        Assert.Equal("../alias.py", new FileInfo(sandbox.PathOf("lib/up")).LinkTarget);
        Assert.Equal("R", sandbox.Read("lib/up"));
        Assert.Equal($"{Uid}:{Gid} 777 symbolic link", sandbox.Stat("here"));
        Assert.Equal($"{Uid}:{Gid} 777 symbolic link", sandbox.Stat("dangling"));
        sandbox.AssertNothingOutside();
    }

    [Fact]
    public async Task Zip_symlink_that_stays_inside_is_created()
    {
        var archive = Zip(("data/v1.csv", UnixRegular | 0b110_100_100, Utf8("1,2")), ("latest.csv", UnixSymlink | 0b111_111_111, Utf8("data/v1.csv")));

        var result = await sandbox.RunAsync(Part("job.zip", archive));

        Assert.Equal(["data/v1.csv"], result.Files.Keys);
        Assert.Equal("data/v1.csv", new FileInfo(sandbox.PathOf("latest.csv")).LinkTarget);
        Assert.Equal($"{Uid}:{Gid} 777 symbolic link", sandbox.Stat("latest.csv"));
    }

    [Fact]
    public async Task A_later_file_replaces_an_earlier_symlink_without_following_it()
    {
        var tar = new TarBuilder().File("real", "keep me").Symlink("link", "real").File("link", "new file").ToTar();

        var result = await sandbox.RunAsync(Part("job.tar", tar));

        Assert.Equal("keep me", sandbox.Read("real"));
        Assert.Equal("new file", sandbox.Read("link"));
        Assert.Null(new FileInfo(sandbox.PathOf("link")).LinkTarget);
        Assert.Equal(["link", "real"], result.Files.Keys);
    }

    [Fact]
    public async Task A_hardlink_to_an_earlier_file_becomes_an_independent_copy()
    {
        var tar = new TarBuilder().File("bin/tool", "#!/bin/sh\n", mode: 0b111_101_101).Hardlink("bin/alias", "bin/tool").ToTar();

        var result = await sandbox.RunAsync(Part("job.tar", tar));

        Assert.Equal(result.Files["bin/tool"], result.Files["bin/alias"]);
        Assert.Equal("#!/bin/sh\n", sandbox.Read("bin/alias"));
        Assert.Equal($"{Uid}:{Gid} 755 regular file", sandbox.Stat("bin/alias"));
        File.WriteAllText(sandbox.PathOf("bin/tool"), "changed");
        Assert.Equal("#!/bin/sh\n", sandbox.Read("bin/alias"));
    }

    [Fact]
    public async Task Empty_files_and_directories_are_kept()
    {
        var tar = new TarBuilder().File("empty", "").Directory("dir/sub/").ToTar();

        var result = await sandbox.RunAsync(Part("job.tar", tar));

        Assert.Equal(Sha256(""), result.Files["empty"]);
        Assert.Equal($"{Uid}:{Gid} 644 regular empty file", sandbox.Stat("empty"));
        Assert.Equal($"{Uid}:{Gid} 755 directory", sandbox.Stat("dir/sub"));
    }

    [Fact]
    public async Task Unicode_names_are_kept()
    {
        var tar = new TarBuilder().File("données/résumé ✓.txt", "ok").ToTar();

        var result = await sandbox.RunAsync(Part("job.tar", tar), Part("ünïcode.py", Encoding.UTF8.GetBytes("u")));

        Assert.Equal(["données/résumé ✓.txt", "ünïcode.py"], result.Files.Keys);
    }

    [Fact]
    public async Task No_parts_is_an_empty_workspace()
    {
        var result = await sandbox.RunAsync();

        Assert.Empty(result.Files);
        Assert.Equal(0, result.TotalBytes);
    }

    [Fact]
    public async Task Cancellation_stops_the_intake()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => UploadIntake.ExtractAsync(
            [Part("job.tar", new TarBuilder().File("a", "a").ToTar())], sandbox.Workspace, IntakeLimits.Default, Uid, Gid, cancelled.Token));
    }
}
