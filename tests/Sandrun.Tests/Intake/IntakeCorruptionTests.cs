using Sandrun.Intake;
using Sandrun.Jobs;
using static Sandrun.Tests.Intake.ArchiveFixtures;
using static Sandrun.Tests.Intake.IntakeSandbox;

namespace Sandrun.Tests.Intake;

/// <summary>
/// Corrupt, truncated and malformed archives (research/anchors.md §4.4 A9): always a 400 naming the part, never
/// another exception, never a hang.
/// </summary>
public sealed class IntakeCorruptionTests : IDisposable
{
    private readonly IntakeSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task Corrupt_gzip_is_400()
    {
        byte[] corrupt = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, .. Utf8("this is not deflate data at all, not even close")];

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar.gz", "is corrupt", Part("job.tar.gz", corrupt));
    }

    [Fact]
    public async Task A_tgz_that_is_not_gzip_is_400()
    {
        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tgz", "is corrupt", Part("job.tgz", Utf8("print('hello')\n")));
    }

    [Fact]
    public async Task Truncated_tar_gz_is_400()
    {
        var whole = new TarBuilder().File("a.bin", new byte[100_000]).File("b.txt", "b").ToTarGz();

        await Assert.ThrowsAsync<IntakeException>(() => sandbox.RunAsync(Part("job.tar.gz", whole[..(whole.Length / 2)])));
        sandbox.AssertNothingOutside();
    }

    [Fact]
    public async Task Tar_truncated_inside_an_entry_is_400_naming_it()
    {
        var tar = new TarBuilder().File("big", new byte[10_000]).ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'big' is truncated", Part("job.tar", tar[..3000]));
    }

    [Fact]
    public async Task Tar_truncated_inside_a_header_is_400()
    {
        var tar = new TarBuilder().File("a", "a").File("b", "b").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "is truncated (partial tar header at byte 1024)", Part("job.tar", tar[..1300]));
    }

    [Fact]
    public async Task Tar_cut_inside_its_end_marker_is_complete()
    {
        var tar = new TarBuilder().File("a", "a").ToTar();

        var result = await sandbox.RunAsync(Part("job.tar", tar[..1300]));

        Assert.Equal(["a"], result.Files.Keys);
    }

    [Fact]
    public async Task A_header_with_a_bad_checksum_is_400()
    {
        var tar = new TarBuilder().File("ok", "ok").Entry("x"u8.ToArray(), '0', Utf8("x"), patch: h => h[0] = (byte)'y', patchAfterChecksum: true).ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "corrupt tar header at byte 1024 (checksum mismatch)", Part("job.tar", tar));
    }

    [Fact]
    public async Task Garbage_named_tar_is_400()
    {
        var garbage = new byte[4096];
        new Random(3).NextBytes(garbage);

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "checksum mismatch", Part("job.tar", garbage));
    }

    [Fact]
    public async Task A_negative_size_is_400()
    {
        var tar = new TarBuilder().Entry("neg"u8.ToArray(), '0', patch: h => h.AsSpan(124, 12).Fill(0xFF)).ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "has a negative size", Part("job.tar", tar));
    }

    [Fact]
    public async Task A_non_octal_size_is_400()
    {
        var tar = new TarBuilder().Entry("bad"u8.ToArray(), '0', patch: h => "00000009x12\0"u8.CopyTo(h.AsSpan(124))).ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "has a malformed size field", Part("job.tar", tar));
    }

    [Fact]
    public async Task A_malformed_PAX_record_is_400()
    {
        var tar = new TarBuilder().Entry("PaxHeaders/x"u8.ToArray(), 'x', Utf8("99 path=x\n")).File("x", "x").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "has a malformed PAX header", Part("job.tar", tar));
    }

    [Fact]
    public async Task A_malformed_PAX_size_is_400()
    {
        var tar = new TarBuilder().Pax(("size", "-5")).File("x", "x").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'x' has a malformed PAX size '-5'", Part("job.tar", tar));
    }

    [Fact]
    public async Task Metadata_with_no_entry_after_it_is_400()
    {
        var tar = new TarBuilder().Pax(("path", "x")).ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "ends after a metadata header with no entry", Part("job.tar", tar));
    }

    [Fact]
    public async Task Garbage_named_zip_is_400()
    {
        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.zip", "is corrupt", Part("job.zip", Utf8("PK but not really a zip file")));
    }

    [Fact]
    public async Task Truncated_zip_is_400()
    {
        var zip = Zip(("a.txt", UnixRegular | 0b110_100_100, new byte[50_000]), ("b.txt", UnixRegular | 0b110_100_100, Utf8("b")));

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.zip", "is corrupt", Part("job.zip", zip[..(zip.Length - 30)]));
    }

    [Fact]
    public async Task Zip_with_corrupt_deflate_data_is_400()
    {
        var data = new byte[200_000];
        new Random(5).NextBytes(data.AsSpan(0, 100_000));
        var zip = Zip(("a.bin", UnixRegular | 0b110_100_100, data));
        for (var i = 200; i < 2000; i++)
        {
            zip[i] ^= 0x5A;
        }

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.zip", "entry 'a.bin' is corrupt", Part("job.zip", zip));
    }

    [Theory]
    [InlineData("fuzz.tar", 1)]
    [InlineData("fuzz.tar.gz", 2)]
    [InlineData("fuzz.zip", 3)]
    public async Task Randomly_damaged_archives_are_accepted_or_refused_but_never_crash_or_hang(string name, int seed)
    {
        var random = new Random(seed);
        var original = name switch
        {
            "fuzz.zip" => Zip(("a/x.py", UnixRegular | 0b111_101_101, Utf8("print(1)\n")), ("a/", UnixDirectory | 0b111_101_101, []), ("l", UnixSymlink | 0b111_111_111, Utf8("a/x.py")), ("b.bin", UnixRegular | 0b110_100_100, new byte[5000])),
            _ => Tar(name),
        };

        for (var round = 0; round < 150; round++)
        {
            var damaged = (byte[])original.Clone();
            for (var flips = random.Next(1, 8); flips > 0; flips--)
            {
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            }

            if (random.Next(4) == 0)
            {
                damaged = damaged[..random.Next(damaged.Length)];
            }

            using var attempt = new IntakeSandbox();
            var error = await Record.ExceptionAsync(() => attempt.RunAsync(Part(name, damaged))).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(error is null or IntakeException, $"round {round}: {error}");
            attempt.AssertNothingOutside();
        }
    }

    private static byte[] Tar(string name)
    {
        var builder = new TarBuilder()
            .Directory("a/")
            .File("a/x.py", "print(1)\n", mode: 0b111_101_101)
            .Symlink("l", "a/x.py")
            .Hardlink("h", "a/x.py")
            .Pax(("path", "long/" + new string('p', 150)))
            .File("short", "pax")
            .LongNameFile("gnu/" + new string('g', 150), "gnu")
            .File("b.bin", new byte[5000]);
        return name.EndsWith(".gz", StringComparison.Ordinal) ? builder.ToTarGz() : builder.ToTar();
    }
}
