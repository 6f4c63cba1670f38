using System.Text;
using Sandrun.Jobs;
using static Sandrun.Tests.Intake.ArchiveFixtures;
using static Sandrun.Tests.Intake.IntakeSandbox;

namespace Sandrun.Tests.Intake;

/// <summary>
/// The archive attack corpus (research/anchors.md §4.4 A1–A7, A10): every case is refused as an invalid upload naming the
/// part and the entry, and nothing appears outside the workspace.
/// </summary>
public sealed class IntakeAttackTests : IDisposable
{
    private readonly IntakeSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Theory]
    [InlineData("../../outside")]
    [InlineData("a/../../../outside")]
    [InlineData("./../../outside")]
    [InlineData("a/b/../../../../outside")]
    [InlineData("..")]
    [InlineData("/etc/cron.d/x")]
    [InlineData("//etc/x")]
    [InlineData("C:../x")]
    [InlineData("C:..\\x")]
    [InlineData("\\x")]
    [InlineData("a\\..\\..\\outside")]
    [InlineData("a//b")]
    public async Task Traversal_absolute_and_malformed_tar_names_are_refused(string name)
    {
        var tar = new TarBuilder().File("ok.txt", "fine").File(name, "pwned").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", $"entry '{name}'", Part("job.tar", tar));
    }

    [Theory]
    [InlineData("../../outside")]
    [InlineData("/etc/x")]
    [InlineData("C:..\\x")]
    [InlineData("a/../../../outside")]
    public async Task Traversal_and_absolute_zip_names_are_refused(string name)
    {
        var archive = Zip(("ok.txt", UnixRegular | 0b110_100_100, Utf8("fine")), (name, UnixRegular | 0b110_100_100, Utf8("pwned")));

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.zip", $"entry '{name}'", Part("job.zip", archive));
    }

    [Fact]
    public async Task Traversal_through_a_PAX_path_overriding_a_harmless_header_name_is_refused()
    {
        var tar = new TarBuilder().Pax(("path", "../../outside")).File("harmless", "pwned").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry '../../outside' escapes the workspace", Part("job.tar", tar));
    }

    [Fact]
    public async Task Traversal_through_a_GNU_long_name_is_refused()
    {
        var tar = new TarBuilder().LongNameFile("../../" + new string('o', 120), "pwned").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry '../../ooo", Part("job.tar", tar));
    }

    [Fact]
    public async Task Control_characters_in_names_are_refused()
    {
        var tar = new TarBuilder().Entry("a\u0001b"u8.ToArray(), '0', Utf8("x")).ToTar();
        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'a\\x01b' contains a control character", Part("job.tar", tar));

        var zip = Zip(("line\nbreak", UnixRegular | 0b110_100_100, Utf8("x")));
        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.zip", "entry 'line\\x0abreak' contains a control character", Part("job.zip", zip));
    }

    [Fact]
    public async Task A_NUL_inside_a_PAX_path_is_refused()
    {
        var tar = new TarBuilder().Pax(("path", "safe\0../../outside")).File("x", "pwned").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'safe\\x00../../outside' contains a control character", Part("job.tar", tar));
    }

    [Fact]
    public async Task Names_that_are_not_UTF8_are_refused()
    {
        var tar = new TarBuilder().Entry([(byte)'b', 0xFF, 0xFE, (byte)'d'], '0', Utf8("x")).ToTar();
        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'b\uFFFD\uFFFDd' is not valid UTF-8", Part("job.tar", tar));

        var zip = Zip(Encoding.Latin1, ("caf\u00e9", UnixRegular | 0b110_100_100, Utf8("x")));
        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.zip", "entry 'caf\uFFFD' is not valid UTF-8", Part("job.zip", zip));
    }

    [Theory]
    [InlineData('3', "is a device node")]
    [InlineData('4', "is a device node")]
    [InlineData('6', "is a FIFO")]
    public async Task Device_and_FIFO_entries_are_refused(char type, string reason)
    {
        var tar = new TarBuilder().Entry("dev/evil"u8.ToArray(), type, patch: header => TarBuilder.Octal(header, 329, 8, 1)).ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", $"entry 'dev/evil' {reason}", Part("job.tar", tar));
        Assert.False(Path.Exists(sandbox.PathOf("dev/evil")));
    }

    [Fact]
    public async Task Zip_FIFO_entry_is_refused()
    {
        var zip = Zip(("pipe", UnixFifo | 0b110_100_100, []));

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.zip", "entry 'pipe' is a device node, FIFO or socket", Part("job.zip", zip));
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("/")]
    [InlineData("../../outside")]
    [InlineData("..")]
    [InlineData("sub/../..")]
    [InlineData("C:\\Windows")]
    public async Task Symlinks_pointing_outside_are_refused(string target)
    {
        var tar = new TarBuilder().Directory("sub/").Symlink("link", target).ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'link' is a symlink", Part("job.tar", tar));
        Assert.False(Path.Exists(sandbox.PathOf("link")));
    }

    [Fact]
    public async Task A_symlink_in_a_subdirectory_may_climb_only_to_the_root()
    {
        var tar = new TarBuilder().Symlink("a/b/ok", "../../top").Symlink("a/b/evil", "../../../outside").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'a/b/evil' is a symlink to '../../../outside', which escapes the workspace", Part("job.tar", tar));
        Assert.Equal("../../top", new FileInfo(sandbox.PathOf("a/b/ok")).LinkTarget);
    }

    [Fact]
    public async Task Zip_symlink_pointing_outside_is_refused()
    {
        var zip = Zip(("evil", UnixSymlink | 0b111_111_111, Utf8("../../outside")));

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.zip", "entry 'evil' is a symlink to '../../outside'", Part("job.zip", zip));
    }

    [Fact]
    public async Task Writing_through_a_symlink_that_points_inside_is_refused()
    {
        var tar = new TarBuilder().Directory("sub/").Symlink("d", "sub").File("d/file", "through").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'd/file' goes through the symlink 'd'", Part("job.tar", tar));
        Assert.False(Path.Exists(sandbox.PathOf("sub/file")));
    }

    [Fact]
    public async Task Creating_a_directory_through_a_symlink_is_refused()
    {
        var tar = new TarBuilder().Directory("sub/").Symlink("d", "sub").Directory("d/inner/").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'd/inner/' goes through the symlink 'd'", Part("job.tar", tar));
    }

    [Fact]
    public async Task A_symlink_to_etc_then_a_write_through_it_stops_at_the_symlink()
    {
        var tar = new TarBuilder().Symlink("d", "/etc").File("d/passwd", "root::0:0::/:/bin/sh").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'd' is a symlink whose target '/etc' is an absolute path", Part("job.tar", tar));
    }

    [Fact]
    public async Task Symlink_chain_through_a_dot_link_is_refused()
    {
        // a -> . makes a/b, a/b/c, ... lexically deeper while really staying at the root, so a/b -> .. escapes.
        var tar = new TarBuilder().Symlink("a", ".").Symlink("a/b", "..").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'a/b' goes through the symlink 'a'", Part("job.tar", tar));
    }

    [Fact]
    public async Task Symlink_target_that_escapes_only_after_expanding_an_earlier_link_is_refused()
    {
        var tar = new TarBuilder().Symlink("a", ".").Symlink("b", "a/a/a/../..").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'b' is a symlink to 'a/a/a/../..', which escapes the workspace", Part("job.tar", tar));
    }

    [Fact]
    public async Task A_symlink_redirected_by_a_later_symlink_is_refused()
    {
        // Checked alone, l -> x/.. is the root; once x -> . exists it is the workspace's parent.
        var tar = new TarBuilder().Symlink("l", "x/..").Symlink("x", ".").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'l' is a symlink to 'x/..', which escapes the workspace", Part("job.tar", tar));
    }

    [Fact]
    public async Task A_symlink_loop_is_refused()
    {
        var tar = new TarBuilder().Symlink("a", "b").Symlink("b", "a").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "goes through too many symlinks", Part("job.tar", tar));
    }

    [Fact]
    public async Task Two_step_attack_across_parts_escaping_link_is_refused_in_the_first_part()
    {
        var first = new TarBuilder().Symlink("x", "../..").ToTar();
        var second = new TarBuilder().File("x/outside", "pwned").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "one.tar", "entry 'x' is a symlink to '../..'", Part("one.tar", first), Part("two.tar", second));
    }

    [Fact]
    public async Task Two_step_attack_across_parts_writing_through_an_earlier_link_is_refused()
    {
        var first = new TarBuilder().Directory("sub/").Symlink("x", "sub").ToTar();
        var second = new TarBuilder().File("x/file", "through").ToTarGz();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "two.tar.gz", "entry 'x/file' goes through the symlink 'x'", Part("one.tar", first), Part("two.tar.gz", second));
        Assert.Empty(Directory.GetFileSystemEntries(sandbox.PathOf("sub")));
    }

    [Theory]
    [InlineData("../../outside", "escapes the workspace")]
    [InlineData("/etc/passwd", "is an absolute path")]
    [InlineData("later", "which is not an earlier regular file")]
    [InlineData("link", "which is not an earlier regular file")]
    [InlineData("dir", "which is not an earlier regular file")]
    [InlineData("link/f", "which is not an earlier regular file")]
    public async Task Hardlinks_to_anything_but_an_earlier_regular_file_are_refused(string target, string reason)
    {
        var tar = new TarBuilder()
            .Directory("dir/")
            .File("dir/f", "f")
            .Symlink("link", "dir")
            .Hardlink("hl", target)
            .File("later", "later")
            .ToTar();

        var error = await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'hl' is a hardlink", Part("job.tar", tar));
        Assert.Contains(reason, error.Details, StringComparison.Ordinal);
        Assert.False(Path.Exists(sandbox.PathOf("hl")));
    }

    [Theory]
    [InlineData("sub\\x")]
    [InlineData("a\u0007b")]
    [InlineData("")]
    public async Task Symlink_targets_with_invalid_characters_are_refused(string target)
    {
        var tar = new TarBuilder().Symlink("link", target).ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'link' is a symlink whose target", Part("job.tar", tar));
    }

    [Fact]
    public async Task A_file_where_a_directory_is_is_refused()
    {
        var tar = new TarBuilder().File("a/b", "b").File("a", "file over directory").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'a' would replace a directory", Part("job.tar", tar));
    }

    [Fact]
    public async Task A_directory_where_a_file_is_is_refused_across_parts()
    {
        var tar = new TarBuilder().File("main.py/x", "x").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'main.py/x' needs 'main.py' to be a directory, but it is a file", Part("main.py", Utf8("print()")), Part("job.tar", tar));
    }

    [Fact]
    public async Task A_directory_entry_where_a_symlink_is_is_refused()
    {
        var tar = new TarBuilder().Symlink("d", "elsewhere").Directory("d/").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'd/' is a directory, but a file or symlink of that name came earlier", Part("job.tar", tar));
    }

    [Fact]
    public async Task A_file_entry_with_a_directory_name_is_refused()
    {
        var tar = new TarBuilder().File("dir/", "data").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'dir/' is not a directory", Part("job.tar", tar));
    }

    [Theory]
    [InlineData("", "the file name is empty")]
    [InlineData(".", "the file name is '.' or '..'")]
    [InlineData("..", "the file name is '.' or '..'")]
    [InlineData("dir/main.py", "the file name contains '/'")]
    [InlineData("/etc/passwd", "the file name contains '/'")]
    [InlineData("a\0b", "the file name contains a control character")]
    [InlineData("a\nb", "the file name contains a control character")]
    [InlineData("..\\..\\x", "the file name contains a backslash")]
    [InlineData("C:x", "the file name starts with a drive letter")]
    public async Task Plain_parts_with_unusable_file_names_are_refused(string name, string reason)
    {
        var error = await Assert.ThrowsAsync<Sandrun.Intake.IntakeException>(() => sandbox.RunAsync(Part(name, Utf8("x"))));

        Assert.Equal(SubmitRefusal.InvalidUpload, error.Kind);
        Assert.EndsWith(reason, error.Details, StringComparison.Ordinal);
        sandbox.AssertNothingOutside();
        Assert.Empty(Directory.GetFileSystemEntries(sandbox.Workspace));
    }

    [Fact]
    public async Task A_symlink_planted_in_the_workspace_beforehand_is_never_followed()
    {
        // Not something an upload can create; shows the kernel-level O_NOFOLLOW walk holds on its own.
        var outsideDir = Path.Combine(sandbox.Root, "jobs", "planted-target");
        Directory.CreateDirectory(outsideDir);
        File.CreateSymbolicLink(sandbox.PathOf("planted"), outsideDir);
        File.CreateSymbolicLink(sandbox.PathOf("planted-file"), Path.Combine(outsideDir, "f"));

        var throughDir = new TarBuilder().File("planted/x", "pwned").ToTar();
        await Assert.ThrowsAsync<Sandrun.Intake.IntakeException>(() => sandbox.RunAsync(Part("job.tar", throughDir)));
        var overFile = new TarBuilder().File("planted-file", "pwned").ToTar();
        await Assert.ThrowsAsync<Sandrun.Intake.IntakeException>(() => sandbox.RunAsync(Part("job.tar", overFile)));

        Assert.Empty(Directory.GetFileSystemEntries(outsideDir));
        Directory.Delete(outsideDir);
        sandbox.AssertNothingOutside();
    }

    [Fact]
    public async Task Unsupported_tar_entry_types_and_sparse_files_are_refused()
    {
        var sparse = new TarBuilder().Entry("s"u8.ToArray(), 'S', Utf8("data")).ToTar();
        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 's' has an unsupported tar entry type 'S'", Part("job.tar", sparse));

        var paxSparse = new TarBuilder().Pax(("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0")).File("p", "map and data").ToTar();
        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'p' is a sparse file", Part("job.tar", paxSparse));
    }

    [Fact]
    public async Task Encrypted_zip_entries_are_refused()
    {
        var zip = Zip(("secret.txt", UnixRegular | 0b110_100_100, Utf8("data")));
        SetGeneralPurposeFlag(zip, 0x0001);

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.zip", "entry 'secret.txt' is encrypted", Part("job.zip", zip));
    }

    // Sets a flag bit in every local and central directory header of a zip.
    private static void SetGeneralPurposeFlag(byte[] zip, int flag)
    {
        for (var i = 0; i + 4 <= zip.Length; i++)
        {
            var signature = BitConverter.ToUInt32(zip, i);
            var flagOffset = signature switch { 0x04034b50 => 6, 0x02014b50 => 8, _ => -1 };
            if (flagOffset > 0)
            {
                zip[i + flagOffset] |= (byte)flag;
            }
        }
    }
}
