using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Sandrun.Cli.Client;

/// <summary>
/// The HTTP API of one Sandrun server, pool or broker (SPEC §2, §7, §8) as the CLI uses it. Every failure becomes a
/// <see cref="CliException"/> that says what went wrong in the server's own words (its JSON error and details).
/// </summary>
internal sealed class SandrunServer : IDisposable
{
    /// <summary>The server when neither <c>--server</c> nor <c>SANDRUN_SERVER</c> names one: the sample server's default.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8443";

    private readonly HttpClient http;

    private SandrunServer(Uri baseAddress)
    {
        BaseAddress = baseAddress;

        // Jobs may wait for minutes; each call's own cancellation bounds it instead.
        http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("sandrun-cli", typeof(SandrunServer).Assembly.GetName().Version?.ToString(3)));
    }

    /// <summary>The server's base URL, ending in <c>/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The server named by <paramref name="url"/>, else <c>SANDRUN_SERVER</c>, else <see cref="DefaultUrl"/>.</summary>
    public static SandrunServer Create(string? url)
    {
        var text = url ?? Environment.GetEnvironmentVariable("SANDRUN_SERVER") ?? DefaultUrl;
        if (string.IsNullOrWhiteSpace(text))
        {
            text = DefaultUrl;
        }

        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new CliException($"the server '{text}' is not an http:// or https:// URL (set --server or SANDRUN_SERVER, e.g. {DefaultUrl})");
        }

        // A base path (a server mapped below a prefix, or behind a proxy) is kept: relative paths resolve below it.
        return new SandrunServer(uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/"));
    }

    /// <summary>The path of a job's resource, the id escaped.</summary>
    public static string JobPath(string resource, string jobId) => $"{resource}/{Uri.EscapeDataString(jobId)}";

    /// <summary>GET a JSON document; any non-success status is a <see cref="CliException"/>.</summary>
    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(JsonRequest(HttpMethod.Get, path), ct).ConfigureAwait(false);
        return await ReadJsonAsync(response, ct).ConfigureAwait(false);
    }

    /// <summary>GET a JSON document, or null when the server answers 404 (a path this kind of server does not have).</summary>
    public async Task<JsonElement?> TryGetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(JsonRequest(HttpMethod.Get, path), ct, allowNotFound: true).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadJsonAsync(response, ct).ConfigureAwait(false);
    }

    /// <summary>POST <paramref name="content"/>; returns the JSON answer of a successful response.</summary>
    public async Task<JsonElement> PostAsync(string path, HttpContent content, CancellationToken ct)
    {
        using var response = await SendAsync(JsonRequest(HttpMethod.Post, path, content), ct).ConfigureAwait(false);
        return await ReadJsonAsync(response, ct).ConfigureAwait(false);
    }

    /// <summary>GET whose body the caller streams (downloads); the caller disposes the response.</summary>
    public Task<HttpResponseMessage> GetStreamingAsync(string path, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), ct, streaming: true);

    /// <summary>The ws:// or wss:// URL of <paramref name="path"/>.</summary>
    public Uri WebSocketUri(string path)
    {
        var builder = new UriBuilder(new Uri(BaseAddress, path)) { Scheme = BaseAddress.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" };
        return builder.Uri;
    }

    /// <inheritdoc />
    public void Dispose() => http.Dispose();

    /// <summary>A request that asks for JSON (<c>/logs</c> answers text to clients that do not).</summary>
    private static HttpRequestMessage JsonRequest(HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct, bool allowNotFound = false, bool streaming = false)
    {
        using (request)
        {
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, ct)
                    .ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new CliException($"cannot reach the server at {BaseAddress}: {e.Message}");
            }

            if (response.IsSuccessStatusCode || (allowNotFound && response.StatusCode == HttpStatusCode.NotFound))
            {
                return response;
            }

            using (response)
            {
                throw await RefusalAsync(response, ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task<CliException> RefusalAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var code = (int)response.StatusCode;
        string what;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var error = JsonFields.Text(root, "error");
            var details = JsonFields.Text(root, "details");
            what = error is null ? Shorten(body) : details is null ? error : $"{error}: {details}";
        }
        catch (JsonException)
        {
            what = Shorten(body);
        }

        if (response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter?.Delta is { } retry)
        {
            what += $" (retry in {Math.Ceiling(retry.TotalSeconds)} s)";
        }

        return new CliException($"the server answered {code} {response.ReasonPhrase}: {what}");
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new CliException($"the server's answer to {response.RequestMessage?.RequestUri} is not JSON: {Shorten(body)}");
        }
    }

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length == 0 ? "(empty body)" : line.Length > 200 ? line[..200] + "…" : line;
    }
}
