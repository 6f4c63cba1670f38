using System.Formats.Tar;
using System.IO.Compression;
using System.IO.Enumeration;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Sandrun.AspNetCore.Tests;

/// <summary>FIFO positions and 503 when the queue is full; the archive attack set over HTTP.</summary>
public sealed class QueueAndArchiveAttackTests
{
    private static readonly Dictionary<string, string> Sleepy = new() { ["main.py"] = "import time\ntime.sleep(2)\n" };

    [Fact]
    public async Task Queue_positions_are_fifo_and_a_full_queue_answers_503()
    {
        await using var server = await TestServer.StartAsync(o => { o.Workers = 1; o.QueueCapacity = 2; }, "/run/sandrun-http-queue");
        var running = await server.SubmitOkAsync(Sleepy, null);
        await server.WaitForStatusAsync(running, "running");
        var positions = new List<int>();
        var queued = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await server.SubmitAsync(Sleepy, null);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("queued", body.GetProperty("status").GetString());
            positions.Add(body.GetProperty("position").GetInt32());
            queued.Add(body.GetProperty("job_id").GetString()!);
        }

        Assert.Equal([1, 2], positions);
        var second = await server.Client.GetFromJsonAsync<JsonElement>($"/status/{queued[1]}");
        Assert.Equal("queued", second.GetProperty("status").GetString());
        Assert.Equal(2, second.GetProperty("queue_position").GetInt32());

        using var full = await server.SubmitAsync(Sleepy, null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, full.StatusCode);
        Assert.Equal("queue full", (await full.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.True(full.Headers.Contains("Retry-After"));
    }

    public static TheoryData<string, int> Attacks => new()
    {
        { "traversal", 400 }, { "absolute", 400 }, { "symlink-escape", 400 }, { "symlink-then-write", 400 }, { "symlink-chain", 400 },
        { "hardlink-escape", 400 }, { "two-step", 400 }, { "device", 400 }, { "fifo", 400 }, { "zip-bomb", 413 },
        { "entry-flood", 413 }, { "huge-name", 400 }, { "corrupt-gzip", 400 },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Archive_attacks_are_refused_with_nothing_written_outside(string attack, int expected)
    {
        await using var server = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-attacks");
        var before = Snapshot("/run/sandrun-http-attacks");
        var form = new MultipartFormDataContent();
        foreach (var (name, bytes) in Build(attack))
        {
            form.Add(new ByteArrayContent(bytes), "files", name);
        }

        using var response = await server.Client.PostAsync("/submit", form);
        Assert.Equal(expected, (int)response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(string.IsNullOrEmpty(body.GetProperty("details").GetString()));
        Assert.Equal(before, Snapshot("/run/sandrun-http-attacks"));
        Assert.False(System.IO.File.Exists("/run/sandrun-http-attacks/pwned") || System.IO.File.Exists("/tmp/sandrun-pwned"));
        using var health = await server.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var ok = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "print('fine')" }, null);
        Assert.Equal("completed", (await server.WaitForStatusAsync(ok, "completed", "failed")).GetProperty("status").GetString());
    }

    /// <summary>
    /// Everything under the state directory except what the server rebuilds per job or per generation (job
    /// workspaces, /etc, /dev and /proc snapshots, runtime views). Links are listed, never followed: a runtime
    /// view holds /usr, whose <c>bin/X11 → .</c> would make a following walk endless.
    /// </summary>
    private static string[] Snapshot(string root)
    {
        if (!Directory.Exists(root))
        {
            return [];
        }

        string[] rebuilt = ["/jobs-", "/etc-", "/dev-", "/proc-", "/view-"];
        var walk = new FileSystemEnumerable<string>(root, (ref FileSystemEntry e) => e.ToFullPath(), new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
        {
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0 && !rebuilt.Any(e.ToFullPath().Contains),
        };
        return [.. walk.Where(p => !rebuilt.Any(p.Contains)).Order(StringComparer.Ordinal)];
    }

    private static IEnumerable<(string Name, byte[] Bytes)> Build(string attack) => attack switch
    {
        "traversal" => [("job.tar", Tar(w => File(w, "../../pwned")))],
        "absolute" => [("job.tar", Tar(w => File(w, "/tmp/sandrun-pwned")))],
        "symlink-escape" => [("job.tar", Tar(w => Link(w, TarEntryType.SymbolicLink, "evil", "/etc")))],
        "symlink-then-write" => [("job.tar", Tar(w => { Link(w, TarEntryType.SymbolicLink, "d", "sub"); Dir(w, "sub"); File(w, "d/x"); }))],
        "symlink-chain" => [("job.tar", Tar(w => { Link(w, TarEntryType.SymbolicLink, "a", "."); Link(w, TarEntryType.SymbolicLink, "a/b", ".."); }))],
        "hardlink-escape" => [("job.tar", Tar(w => Link(w, TarEntryType.HardLink, "h", "../../etc/passwd")))],
        "two-step" => [("one.tar", Tar(w => Link(w, TarEntryType.SymbolicLink, "x", "sub"))), ("two.tar", Tar(w => File(w, "x/pwned")))],
        "device" => [("job.tar", Tar(w => w.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "mem") { DeviceMajor = 1, DeviceMinor = 1 })))],
        "fifo" => [("job.tar", Tar(w => w.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "pipe"))))],
        "zip-bomb" => [("bomb.zip", ZipOfZeros(300L << 20))],
        "entry-flood" => [("flood.tar.gz", Gzip(Tar(w => { for (var i = 0; i < 100_000; i++) { File(w, $"f{i}"); } })))],
        "huge-name" => [("job.tar", Tar(w => File(w, new string('a', 5000))))],
        "corrupt-gzip" => [("job.tar.gz", [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])],
        _ => throw new ArgumentOutOfRangeException(nameof(attack)),
    };

    private static byte[] Tar(Action<TarWriter> write)
    {
        using var output = new MemoryStream();
        using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(tar);
        }

        return output.ToArray();
    }

    private static void File(TarWriter w, string name) =>
        w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("x"u8.ToArray()) });

    private static void Dir(TarWriter w, string name) => w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name));

    private static void Link(TarWriter w, TarEntryType type, string name, string target) =>
        w.WriteEntry(new PaxTarEntry(type, name) { LinkName = target });

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] ZipOfZeros(long size)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("zeros.bin", CompressionLevel.Optimal).Open();
            var chunk = new byte[1 << 20];
            for (long written = 0; written < size; written += chunk.Length)
            {
                entry.Write(chunk);
            }
        }

        return output.ToArray();
    }
}
