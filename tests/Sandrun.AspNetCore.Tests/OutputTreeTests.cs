using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Sandrun.Abstractions;
using Sandrun.Receipts;
using SharpCompress.Readers;

namespace Sandrun.AspNetCore.Tests;

/// <summary>
/// A real job builds a tree deeper than PATH_MAX, names with newlines and bytes that are not UTF-8, a FIFO and
/// symlink loops next to normal outputs. It still completes with its signed receipt; /outputs, both downloads and
/// the MCP tools serve what can be listed; and the server log (as configured for production) names none of it.
/// </summary>
public sealed class OutputTreeTests
{
    private const string Marker = "q7zx";

    private const string Job = """
        import os
        os.makedirs('out', exist_ok=True)
        open('result.txt', 'w').write('42')
        open('out/data.csv', 'w').write('a,b\n1,2\n')
        open('line\nbreak-q7zx.txt', 'w').write('newline')
        open(b'\xff-q7zx', 'w').write('not UTF-8')
        os.mkfifo('fifo-q7zx')
        os.symlink('loop-b-q7zx', 'loop-a-q7zx')
        os.symlink('loop-a-q7zx', 'loop-b-q7zx')
        os.symlink('nowhere-q7zx', 'dangling-q7zx')
        for _ in range(5000):
            os.mkdir('deep-q7zx')
            os.chdir('deep-q7zx')
        open('bottom-q7zx.txt', 'w').write('far below PATH_MAX')
        print('built')
        """;

    [Fact]
    public async Task A_job_with_a_tree_deeper_than_PATH_MAX_completes_with_its_receipt_and_normal_outputs()
    {
        using var signer = Ed25519Signer.Generate();
        var mcp = new ConfigurationBuilder().Build();
        await using var server = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-output-trees", services: s =>
        {
            s.AddSingleton<IResultSigner>(signer);
            s.AddFakeLogging();
            s.AddSandrunMcp(mcp);
        });
        var log = server.Services.GetRequiredService<FakeLogCollector>();

        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = Job }, """{"entrypoint": "main.py", "timeout": 60}""");
        var status = await server.WaitForStatusAsync(id, "completed", "failed");

        Assert.True("completed" == status.GetProperty("status").GetString(), status.ToString());
        var meta = status.GetProperty("worker_metadata");
        Assert.True(ReceiptVerifier.Verify(meta.GetProperty("receipt").GetString()!, meta.GetProperty("signature").GetString()!, signer.WorkerId!));
        string[] expected = ["line\nbreak-q7zx.txt", "out/data.csv", "result.txt"];
        Assert.Equal(expected, status.GetProperty("output_files").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var note = Assert.Single(status.GetProperty("notes").EnumerateArray()).GetString();
        Assert.Equal("outputs: 2 files or directories were not considered: their path is longer than 1024 bytes or their name is not valid UTF-8", note);

        var listed = await server.Client.GetFromJsonAsync<JsonElement>($"/outputs/{id}");
        Assert.Equal(expected, listed.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("path").GetString()));

        using (var one = await server.Client.GetAsync(new Uri($"/download/{id}/line%0Abreak-q7zx.txt", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
            Assert.Equal("newline", await one.Content.ReadAsStringAsync());
            Assert.Equal("line\nbreak-q7zx.txt", one.Content.Headers.ContentDisposition?.FileNameStar);
        }

        await using (var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(server.BaseAddress, "/mcp"), TransportMode = HttpTransportMode.StreamableHttp })))
        {
            var outputs = await client.CallToolAsync("list_outputs", new Dictionary<string, object?> { ["job_id"] = id });
            var report = JsonSerializer.SerializeToElement(outputs.StructuredContent);
            Assert.Equal(expected, report.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("path").GetString()));
            Assert.Contains(note, report.GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
            var read = await client.CallToolAsync("read_output", new Dictionary<string, object?> { ["job_id"] = id, ["path"] = "line\nbreak-q7zx.txt" });
            Assert.Equal("newline", Assert.IsType<TextContentBlock>(Assert.Single(read.Content)).Text);
        }

        // Read with SharpCompress: System.Formats.Tar writes a PAX path holding a newline correctly (GNU tar and
        // Python's tarfile read it) but cannot read it back.
        var tarball = await server.Client.GetByteArrayAsync(new Uri($"/download/{id}", UriKind.Relative));
        var entries = new Dictionary<string, string>();
        using (var reader = ReaderFactory.OpenReader(new MemoryStream(tarball)))
        {
            while (reader.MoveToNextEntry())
            {
                using var content = new StreamReader(reader.OpenEntryStream());
                entries[reader.Entry.Key!] = await content.ReadToEndAsync();
            }
        }

        Assert.Equal(expected, entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("newline", entries["line\nbreak-q7zx.txt"]);

        var logged = string.Join('\n', log.GetSnapshot().Select(r => $"{r.Level} {r.Category} {r.Message} {r.Exception}"));
        Assert.Contains(id, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, logged, StringComparison.Ordinal);
    }
}
