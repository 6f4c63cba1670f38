using Sandrun.Receipts;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Sandrun.Abstractions;
using Sandrun.Broker.Contracts;

namespace Sandrun.Broker.Node;

/// <summary>
/// The node's side of the broker protocol over HTTP: registration (proving the node's key), claims, the input,
/// heartbeats and completions. A 401 means the broker no longer knows the node's token: it registers again.
/// </summary>
internal sealed class BrokerClient(HttpClient http, IResultSigner signer, BrokerNodeOptions options)
{
    /// <summary>How long any call but a claim may take before the node treats the broker as unreachable.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(2);

    private readonly SemaphoreSlim registering = new(1, 1);
    private volatile string? token;

    /// <summary>This node's id at the broker, once registered.</summary>
    public string? NodeId { get; private set; }

    /// <summary>The lease the broker grants, in seconds, once registered.</summary>
    public int LeaseSeconds { get; private set; } = 30;

    public async Task RegisterAsync(string? staleToken, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(CallTimeout);
        cancellationToken = bounded.Token;
        await registering.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (token is not null && token != staleToken)
            {
                return;
            }

            var capabilities = System.Text.Json.JsonDocument.Parse("{\"sandbox\":\"linux\"}").RootElement;
            var hello = new RegisterRequest(signer.WorkerId, options.Endpoint ?? Environment.MachineName, capabilities, options.Slots, null, null, null);
            using var first = await http.PostAsJsonAsync("register", hello, BrokerJsonContext.Default.RegisterRequest, cancellationToken).ConfigureAwait(false);
            await EnsureAsync(first, cancellationToken).ConfigureAwait(false);
            var challenge = (await first.Content.ReadFromJsonAsync(BrokerJsonContext.Default.RegisterChallengeResponse, cancellationToken).ConfigureAwait(false))!;

            var proof = new RegisterRequest(signer.WorkerId, null, null, null, challenge.NodeId, challenge.Challenge, WorkerChallenge.Answer(signer, challenge.Challenge)
                ?? throw new InvalidOperationException("cannot answer the broker's challenge: the node has no key, or the challenge is not 32 bytes in Base64"));
            using var second = await http.PostAsJsonAsync("register", proof, BrokerJsonContext.Default.RegisterRequest, cancellationToken).ConfigureAwait(false);
            await EnsureAsync(second, cancellationToken).ConfigureAwait(false);
            var registered = (await second.Content.ReadFromJsonAsync(BrokerJsonContext.Default.RegisterResponse, cancellationToken).ConfigureAwait(false))!;
            NodeId = registered.NodeId;
            LeaseSeconds = registered.LeaseSeconds;
            token = registered.Token;
        }
        finally
        {
            registering.Release();
        }
    }

    public async Task<ClaimedJob?> ClaimAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            () => Json(HttpMethod.Post, "claim", new ClaimRequest(options.ClaimWaitSeconds), BrokerJsonContext.Default.ClaimRequest),
            cancellationToken, TimeSpan.FromSeconds(options.ClaimWaitSeconds + 30)).ConfigureAwait(false);
        await EnsureAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(BrokerJsonContext.Default.ClaimResponse, cancellationToken).ConfigureAwait(false))!.Job;
    }

    /// <summary>The claimed job's input archive; null when the lease is gone.</summary>
    public async Task<byte[]?> InputAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, job.InputUrl.TrimStart('/')), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Renews the lease; false when the broker says it is lost.</summary>
    public async Task<bool> HeartbeatAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            () => Json(HttpMethod.Post, "heartbeat", new HeartbeatRequest(job.JobId, job.LeaseToken), BrokerJsonContext.Default.HeartbeatRequest), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureAsync(response, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Reports the result; the broker's status code (200 stored, 409 stale lease, 422 receipt rejected, …).</summary>
    public async Task<HttpStatusCode> CompleteAsync(CompletionReport report, byte[]? outputs, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() =>
        {
            var form = new MultipartFormDataContent
            {
                { JsonContent.Create(report, BrokerJsonContext.Default.CompletionReport), "result" },
            };
            if (outputs is not null)
            {
                var archive = new ByteArrayContent(outputs);
                archive.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
                form.Add(archive, "outputs", "outputs.tar.gz");
            }

            return new HttpRequestMessage(HttpMethod.Post, "complete") { Content = form };
        }, cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode >= 500)
        {
            throw new HttpRequestException($"the broker answered {(int)response.StatusCode}", null, response.StatusCode);
        }

        return response.StatusCode;
    }

    private static HttpRequestMessage Json<T>(HttpMethod method, string path, T body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        new(method, path) { Content = JsonContent.Create(body, type) };

    /// <summary>Sends with the node's token, registering (again) first when the broker does not know it.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout ?? CallTimeout);
        cancellationToken = bounded.Token;
        for (var attempt = 0; ; attempt++)
        {
            var current = token;
            if (current is null)
            {
                await RegisterAsync(null, cancellationToken).ConfigureAwait(false);
                current = token;
            }

            using var request = create();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", current);
            var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0)
            {
                return response;
            }

            response.Dispose();
            await RegisterAsync(current, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"the broker answered {(int)response.StatusCode}: {(body.Length > 300 ? body[..300] : body)}", null, response.StatusCode);
        }
    }
}
