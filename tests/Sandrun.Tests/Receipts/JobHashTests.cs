using System.Security.Cryptography;
using System.Text;
using Sandrun.Manifest;
using Sandrun.Receipts;

namespace Sandrun.Tests.Receipts;

public sealed class JobHashTests
{
    [Fact]
    public void Job_hash_is_the_sha256_of_the_canonical_manifest_and_file_hashes()
    {
        var manifest = new JobManifest("main.py", "python3", ["a b"], new Dictionary<string, string> { ["Z"] = "1", ["A"] = "2" }, ["out/"], null, null, 30, 512, 10, null);
        var files = new Dictionary<string, string> { ["main.py"] = new string('a', 64), ["lib/x.py"] = new string('b', 64) };
        var expectedJson = "{\"files\":{\"lib/x.py\":\"" + new string('b', 64) + "\",\"main.py\":\"" + new string('a', 64) + "\"},"
            + "\"manifest\":{\"args\":[\"a b\"],\"cpu_seconds\":10,\"entrypoint\":\"main.py\",\"env\":{\"A\":\"2\",\"Z\":\"1\"},\"environment\":null,"
            + "\"gpu\":null,\"interpreter\":\"python3\",\"memory_mb\":512,\"outputs\":[\"out/\"],\"requirements\":null,\"timeout\":30}}";
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(expectedJson))), JobHash.Compute(manifest, files));
    }

    [Fact]
    public void Any_change_to_manifest_or_files_changes_the_hash()
    {
        var manifest = new JobManifest("main.py", "python3", [], new Dictionary<string, string>(), [], null, null, 300, 512, 10, new GpuRequest(false, null, null, null, null));
        var files = new Dictionary<string, string> { ["main.py"] = new string('a', 64) };
        var baseline = JobHash.Compute(manifest, files);
        Assert.NotEqual(baseline, JobHash.Compute(manifest with { TimeoutSeconds = 301 }, files));
        Assert.NotEqual(baseline, JobHash.Compute(manifest, new Dictionary<string, string> { ["main.py"] = new string('c', 64) }));
    }
}
