using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Sandrun.Pool.Tests;

/// <summary>An HTTP client of a pool (or worker) that connects from a chosen loopback address, so quotas see distinct clients.</summary>
public sealed class PoolClient : IDisposable
{
    private PoolClient(HttpClient http, string source)
    {
        Http = http;
        Source = source;
    }

    public HttpClient Http { get; }

    /// <summary>The local address the client connects from (127.0.0.x).</summary>
    public string Source { get; }

    public static PoolClient From(string source, Uri baseAddress)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new PoolClient(new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(3) }, source);
    }

    /// <summary>POST /submit of <paramref name="files"/> as one tar.gz with <paramref name="manifest"/>.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(IDictionary<string, string> files, string manifest)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(TarGz(files)), "files", "job.tar.gz" },
            { new StringContent(manifest), "manifest" },
        };
        return await Http.PostAsync("/submit", form);
    }

    public async Task<string> SubmitOkAsync(IDictionary<string, string> files, string manifest)
    {
        using var response = await SubmitAsync(files, manifest);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("job_id").GetString()!;
    }

    public async Task<JsonElement> StatusAsync(string jobId) => await Http.GetFromJsonAsync<JsonElement>($"/status/{jobId}");

    /// <summary>Polls /status until the job is completed or failed.</summary>
    public async Task<JsonElement> WaitForEndAsync(string jobId, int seconds = 120)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (true)
        {
            var status = await StatusAsync(jobId);
            if (status.GetProperty("status").GetString() is "completed" or "failed")
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {jobId} did not end: {status}");
            await Task.Delay(100);
        }
    }

    public void Dispose() => Http.Dispose();

    public static byte[] TarGz(IDictionary<string, string> files)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                });
            }
        }

        return output.ToArray();
    }
}
