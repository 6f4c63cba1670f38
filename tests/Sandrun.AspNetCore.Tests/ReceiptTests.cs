using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sandrun.Abstractions;
using Sandrun.Receipts;

namespace Sandrun.AspNetCore.Tests;

/// <summary>Signed receipts (SPEC.md §6) checked by an independent Ed25519 implementation (Node's crypto).</summary>
public sealed class ReceiptTests
{
    [Fact]
    public async Task A_live_jobs_receipt_verifies_with_node_matches_status_and_breaks_on_any_flipped_byte()
    {
        using var signer = Ed25519Signer.Generate();
        await using var server = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-receipts", services: s => s.AddSingleton<IResultSigner>(signer));
        var files = new Dictionary<string, string> { ["main.py"] = "import os\nos.makedirs('out', exist_ok=True)\nopen('out/r.txt','w').write('42')\nprint('done')\n" };
        var id = await server.SubmitOkAsync(files, """{"entrypoint":"main.py","args":["a b"],"timeout":30}""");
        var status = await server.WaitForStatusAsync(id, "completed", "failed");
        Assert.Equal("completed", status.GetProperty("status").GetString());

        var meta = status.GetProperty("worker_metadata");
        var receipt = meta.GetProperty("receipt").GetString()!;
        var signature = meta.GetProperty("signature").GetString()!;
        var workerId = meta.GetProperty("worker_id").GetString()!;
        Assert.Equal(signer.WorkerId, workerId);
        Assert.Equal("Ed25519", meta.GetProperty("algorithm").GetString());
        Assert.Equal(workerId, (await server.Client.GetFromJsonAsync<JsonElement>("/health")).GetProperty("worker_id").GetString());

        // An independent implementation accepts it.
        Assert.Equal("true", await NodeAsync("""
            const [receipt, sig, key] = process.argv.slice(1);
            const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(key, 'base64')]);
            const pub = require('crypto').createPublicKey({ key: spki, format: 'der', type: 'spki' });
            console.log(require('crypto').verify(null, Buffer.from(receipt, 'utf8'), pub, Buffer.from(sig, 'base64')));
            """, receipt, signature, workerId));

        // The receipt states what /status reports.
        var r = JsonDocument.Parse(receipt).RootElement;
        var meta2 = status.GetProperty("execution_metadata");
        Assert.Equal(id, r.GetProperty("job_id").GetString());
        Assert.Equal(status.GetProperty("job_hash").GetString(), r.GetProperty("job_hash").GetString());
        Assert.Equal("completed", r.GetProperty("status").GetString());
        Assert.Equal(meta2.GetProperty("exit_code").GetInt32(), r.GetProperty("exit_code").GetInt32());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("failure_reason").ValueKind);
        Assert.Equal(meta2.GetProperty("cpu_seconds").GetDouble(), r.GetProperty("cpu_seconds").GetDouble());
        Assert.Equal(meta2.GetProperty("memory_peak_bytes").GetInt64(), r.GetProperty("memory_peak_bytes").GetInt64());
        Assert.Equal(meta2.GetProperty("wall_time_ms").GetInt64(), r.GetProperty("wall_time_ms").GetInt64());
        Assert.Equal(workerId, r.GetProperty("worker_id").GetString());
        Assert.True(DateTimeOffset.TryParse(r.GetProperty("completed_at").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        var outputs = r.GetProperty("outputs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(status.GetProperty("output_files").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetProperty("sha256_hash").GetString()), outputs);

        // job_hash recomputed independently: JCS of the normalized manifest and the input hashes (plain JSON
        // with sorted keys is JCS for these values), SHA-256 in Node.
        var mainSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(files["main.py"])));
        Assert.Equal(status.GetProperty("job_hash").GetString(), await NodeAsync("""
            const sort = v => Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.keys(v).sort().reduce((o, k) => (o[k] = sort(v[k]), o), {}) : v;
            const doc = { manifest: { entrypoint: 'main.py', interpreter: 'python3', args: ['a b'], env: {}, outputs: [], environment: null,
              requirements: null, timeout: 30, memory_mb: 512, cpu_seconds: 10, gpu: null }, files: { 'main.py': process.argv[1] } };
            console.log(require('crypto').createHash('sha256').update(JSON.stringify(sort(doc)), 'utf8').digest('hex'));
            """, mainSha));

        // Any single flipped bit of receipt or signature fails verification.
        Assert.True(ReceiptVerifier.Verify(receipt, signature, workerId));
        var receiptBytes = Encoding.UTF8.GetBytes(receipt);
        for (var i = 0; i < receiptBytes.Length; i++)
        {
            var tampered = (byte[])receiptBytes.Clone();
            tampered[i] ^= 0x01;
            Assert.False(ReceiptVerifier.Verify(Encoding.UTF8.GetString(tampered), signature, workerId), $"receipt byte {i}");
        }

        var signatureBytes = Convert.FromBase64String(signature);
        for (var i = 0; i < signatureBytes.Length; i++)
        {
            var tampered = (byte[])signatureBytes.Clone();
            tampered[i] ^= 0x80;
            Assert.False(ReceiptVerifier.Verify(receipt, Convert.ToBase64String(tampered), workerId), $"signature byte {i}");
        }

        using var other = Ed25519Signer.Generate();
        Assert.False(ReceiptVerifier.Verify(receipt, signature, other.WorkerId!));
    }

    private static async Task<string> NodeAsync(string script, params string[] args)
    {
        using var node = Process.Start(new ProcessStartInfo("node", ["-e", script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await node.StandardOutput.ReadToEndAsync();
        var error = await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        Assert.True(node.ExitCode == 0, error);
        return output.Trim();
    }
}
