using System.Diagnostics;
using System.IO.Compression;
using Sandrun.Intake;
using Sandrun.Jobs;
using static Sandrun.Tests.Intake.ArchiveFixtures;
using static Sandrun.Tests.Intake.IntakeSandbox;

namespace Sandrun.Tests.Intake;

/// <summary>
/// Caps (research/anchors.md §4.4 A8, P2): bombs and floods stop early with a 413, path limits are a 400,
/// and nothing is read or written much past a cap.
/// </summary>
public sealed class IntakeLimitTests : IDisposable
{
    private const int MiB = 1 << 20;

    // What intake may read past the point where it stops: buffers, not the ~10 MiB of a 10 GiB bomb.
    private const int ReadAhead = 256 * 1024;

    private static readonly Lazy<byte[]> ZipOf200MiBZeros = new(() => Zip(("zeros.bin", UnixRegular | 0b110_100_100, new byte[200 * MiB])));

    private readonly IntakeSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task Upload_over_the_byte_limit_is_413()
    {
        var limits = IntakeLimits.Default with { MaxUploadBytes = MiB };

        await sandbox.RejectAsync(limits, SubmitRefusal.UploadTooLarge, "big.bin", "takes the upload over the limit of 1048576 bytes", Part("big.bin", new byte[2 * MiB]));
    }

    [Fact]
    public async Task Upload_limit_counts_all_parts_together()
    {
        var limits = IntakeLimits.Default with { MaxUploadBytes = MiB };

        await sandbox.RejectAsync(limits, SubmitRefusal.UploadTooLarge, "second.bin", "takes the upload over the limit", Part("first.bin", new byte[600 * 1024]), Part("second.bin", new byte[600 * 1024]));
        Assert.Equal(600 * 1024, new FileInfo(sandbox.PathOf("first.bin")).Length);
    }

    [Fact]
    public async Task Upload_limit_counts_compressed_archive_bytes()
    {
        var random = new byte[2 * MiB];
        new Random(7).NextBytes(random);
        var archive = new TarBuilder().File("noise", random).ToTarGz();
        var limits = IntakeLimits.Default with { MaxUploadBytes = MiB };

        await sandbox.RejectAsync(limits, SubmitRefusal.UploadTooLarge, "job.tar.gz", "takes the upload over the limit", Part("job.tar.gz", archive));
    }

    [Fact]
    public async Task Extracted_bytes_are_counted_across_files_while_streaming()
    {
        var builder = new TarBuilder();
        for (var i = 0; i < 50; i++)
        {
            builder.File($"f{i:00}", new byte[MiB]);
        }

        var limits = IntakeLimits.Default with { MaxExtractedBytes = 10 * MiB };

        await sandbox.RejectAsync(limits, SubmitRefusal.UploadTooLarge, "job.tar.gz", "entry 'f10' takes the extracted data over the limit of 10485760 bytes", Part("job.tar.gz", builder.ToTarGz()));
        Assert.True(Directory.GetFiles(sandbox.Workspace).Sum(f => new FileInfo(f).Length) <= 10 * MiB);
    }

    [Fact]
    public async Task Zip_bomb_of_200_MiB_zeros_stops_at_the_extracted_cap()
    {
        var bomb = ZipOf200MiBZeros.Value;
        var limits = IntakeLimits.Default with { MaxExtractedBytes = 10 * MiB };

        await sandbox.RejectAsync(limits, SubmitRefusal.UploadTooLarge, "bomb.zip", "entry 'zeros.bin' takes the extracted data over the limit", Part("bomb.zip", bomb));

        Assert.True(bomb.Length < MiB);
        Assert.True(new FileInfo(sandbox.PathOf("zeros.bin")).Length <= 10 * MiB);
    }

    [Fact]
    public async Task Zip_entry_whose_headers_understate_its_size_stops_where_the_header_said_it_ends()
    {
        var zip = Zip(("liar.bin", UnixRegular | 0b110_100_100, new byte[50 * MiB]));
        UnderstateSizes(zip, 16);

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "liar.zip", "entry 'liar.bin' is corrupt (more data than the 16 bytes its header declares)", Part("liar.zip", zip));

        Assert.True(new FileInfo(sandbox.PathOf("liar.bin")).Length <= 16);
    }

    [Fact]
    public async Task Tar_gz_header_declaring_10_GiB_is_refused_before_any_data_is_read()
    {
        var header = new TarBuilder().Entry("huge.bin"u8.ToArray(), '0', patch: h => Base256Size(h, 10L << 30)).ToUnterminatedTar();
        var bomb = new AsyncOnlyStream(TenGiBOfZerosAfter(header));

        await sandbox.RejectAsync(SubmitRefusal.UploadTooLarge, "bomb.tar.gz", "entry 'huge.bin' takes the extracted data over the limit of 104857600 bytes", new UploadPart("bomb.tar.gz", bomb));

        Assert.InRange(bomb.BytesRead, 0, ReadAhead);
        Assert.False(File.Exists(sandbox.PathOf("huge.bin")));
    }

    [Fact]
    public async Task Ten_GiB_of_zeros_after_the_archive_is_never_decompressed()
    {
        var archive = new TarBuilder().File("data.bin", new byte[MiB]).ToUnterminatedTar();
        var bomb = new AsyncOnlyStream(TenGiBOfZerosAfter(archive));

        var result = await sandbox.RunAsync(new UploadPart("bomb.tar.gz", bomb));

        Assert.InRange(bomb.BytesRead, 0, ReadAhead);
        Assert.Equal(["data.bin"], result.Files.Keys);
        Assert.Equal(MiB, result.TotalBytes);
    }

    [Fact]
    public async Task Tar_of_100000_entries_is_refused_at_the_entry_cap()
    {
        var builder = new TarBuilder();
        for (var i = 0; i < 100_000; i++)
        {
            builder.File($"d{i / 1000}/f{i}", "");
        }

        var archive = builder.ToTarGz();

        await sandbox.RejectAsync(SubmitRefusal.UploadTooLarge, "many.tar.gz", "entry 'd10/f10000' is past the limit of 10000 entries", Part("many.tar.gz", archive));

        Assert.Equal(10_000, Directory.EnumerateFiles(sandbox.Workspace, "*", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public async Task Zip_of_100000_entries_is_refused_at_the_entry_cap()
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (var i = 0; i < 100_000; i++)
            {
                zip.CreateEntry($"f{i}", CompressionLevel.NoCompression);
            }
        }


        await sandbox.RejectAsync(SubmitRefusal.UploadTooLarge, "many.zip", "entry 'f10000' is past the limit of 10000 entries", Part("many.zip", output.ToArray()));

        Assert.Equal(10_000, Directory.GetFiles(sandbox.Workspace).Length);
    }

    [Fact]
    public async Task Entry_cap_counts_plain_parts_too()
    {
        var limits = IntakeLimits.Default with { MaxEntries = 2 };

        await sandbox.RejectAsync(limits, SubmitRefusal.UploadTooLarge, "c.txt", "is past the limit of 2 entries", Part("a.txt", Utf8("a")), Part("b.txt", Utf8("b")), Part("c.txt", Utf8("c")));
    }

    [Fact]
    public async Task A_GNU_long_name_of_one_MiB_is_refused_without_reading_it()
    {
        var name = "x/" + new string('n', MiB);
        var tar = new TarBuilder().LongNameFile(name, "data").ToTar();

        var error = await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'x/nnnn", Part("job.tar", tar));

        Assert.Contains("has a name longer than 1024 bytes", error.Details, StringComparison.Ordinal);
        Assert.True(error.Details.Length < 400);
    }

    [Fact]
    public async Task A_PAX_path_over_the_length_limit_is_refused()
    {
        var name = new string('p', 2000);
        var tar = new TarBuilder().Pax(("path", name)).File("short", "data").ToTar();

        var error = await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "entry 'pppp", Part("job.tar", tar));

        Assert.EndsWith("is longer than 1024 bytes", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zip_name_over_the_length_limit_is_refused()
    {
        var zip = Zip((new string('z', 5000), UnixRegular | 0b110_100_100, Utf8("x")));

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.zip", "is longer than 1024 bytes", Part("job.zip", zip));
    }

    [Fact]
    public async Task Paths_deeper_than_the_depth_limit_are_refused()
    {
        var ok = string.Join('/', Enumerable.Repeat("d", 64));
        var tooDeep = string.Join('/', Enumerable.Repeat("d", 65));
        var tar = new TarBuilder().Pax(("path", ok)).File("a", "fine").Pax(("path", tooDeep)).File("b", "deep").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "is nested deeper than 64 levels", Part("job.tar", tar));
        Assert.True(File.Exists(sandbox.PathOf(ok)));
    }

    [Fact]
    public async Task A_path_component_over_255_bytes_is_refused()
    {
        var tar = new TarBuilder().Pax(("path", "dir/" + new string('c', 256))).File("x", "data").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "has a path component longer than 255 bytes", Part("job.tar", tar));
    }

    [Fact]
    public async Task An_oversized_PAX_header_is_refused_before_it_is_read()
    {
        var records = new (string, string)[] { ("comment", new string('c', 200_000)) };
        var tar = new TarBuilder().Pax(records).File("x", "data").ToTar();

        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "job.tar", "has a PAX header of 200", Part("job.tar", tar));
    }

    [Fact]
    public async Task A_flood_of_metadata_headers_is_charged_to_the_extracted_cap()
    {
        var builder = new TarBuilder();
        for (var i = 0; i < 200; i++)
        {
            builder.Pax(("comment", new string('c', 60_000)));
        }

        var limits = IntakeLimits.Default with { MaxExtractedBytes = MiB };

        await sandbox.RejectAsync(limits, SubmitRefusal.UploadTooLarge, "meta.tar.gz", "takes the extracted data over the limit", Part("meta.tar.gz", builder.File("x", "x").ToTarGz()));
    }

    [Fact]
    public async Task Hardlink_copies_count_toward_the_extracted_cap()
    {
        var builder = new TarBuilder().File("one-mib", new byte[MiB]);
        for (var i = 0; i < 20; i++)
        {
            builder.Hardlink($"copy{i}", "one-mib");
        }

        var limits = IntakeLimits.Default with { MaxExtractedBytes = 10 * MiB };

        await sandbox.RejectAsync(limits, SubmitRefusal.UploadTooLarge, "job.tar", "entry 'copy9' takes the extracted data over the limit", Part("job.tar", builder.ToTar()));
    }

    [Fact]
    public async Task A_web_of_symlinks_too_costly_to_resolve_is_refused_quickly()
    {
        // Each target walks 400 components; thousands of them would keep the resolver busy.
        var builder = new TarBuilder().Directory("d/");
        var target = string.Join('/', Enumerable.Repeat("d/..", 200));
        for (var i = 0; i < 5000; i++)
        {
            builder.Pax(("linkpath", target)).Symlink($"l{i}", "header-field-too-short");
        }


        await sandbox.RejectAsync(SubmitRefusal.InvalidUpload, "links.tar", "takes too long to check", Part("links.tar", builder.ToTar()));

    }

    [Fact]
    public async Task A_full_workspace_is_413()
    {
        RunOrFail("mount", "-t", "tmpfs", "-o", "size=1m", "sandrun-test", sandbox.Workspace);
        try
        {
            await sandbox.RejectAsync(SubmitRefusal.UploadTooLarge, "job.tar", "entry 'big' does not fit in the workspace", Part("job.tar", new TarBuilder().File("big", new byte[2 * MiB]).ToTar()));
        }
        finally
        {
            RunOrFail("umount", sandbox.Workspace);
        }
    }

    // GNU base-256 size: marker bit, then the value big-endian.
    private static void Base256Size(byte[] header, long size)
    {
        Array.Clear(header, 124, 12);
        header[124] = 0x80;
        for (var i = 135; size > 0; i--, size >>= 8)
        {
            header[i] = (byte)size;
        }
    }

    // A gzip stream (concatenated members) of the given bytes followed by 10 GiB of zeros, about 10 MiB compressed.
    private static byte[] TenGiBOfZerosAfter(byte[] prefix)
    {
        var zeros = TarBuilder.Gzip(new byte[64 * MiB]);
        using var output = new MemoryStream();
        output.Write(TarBuilder.Gzip(prefix));
        for (var i = 0; i < 160; i++)
        {
            output.Write(zeros);
        }

        return output.ToArray();
    }

    // Rewrites the uncompressed size in every local and central directory header.
    private static void UnderstateSizes(byte[] zip, int size)
    {
        for (var i = 0; i + 4 <= zip.Length; i++)
        {
            var offset = BitConverter.ToUInt32(zip, i) switch { 0x04034b50 => 22, 0x02014b50 => 24, _ => -1 };
            if (offset > 0)
            {
                BitConverter.GetBytes(size).CopyTo(zip, i + offset);
            }
        }
    }

    private static void RunOrFail(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {error}");
    }
}
