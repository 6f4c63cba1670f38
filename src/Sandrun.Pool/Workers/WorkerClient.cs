using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Sandrun.Pool.Jobs;

namespace Sandrun.Pool.Workers;

/// <summary>
/// The pool's own requests to workers (submit, status, outputs, stats, environments) — the JSON the pool must read,
/// check or rewrite; streams and downloads go through YARP instead. Every request names the client in
/// <c>X-Forwarded-For</c>, so workers that trust the pool count quotas per client.
/// </summary>
public sealed class WorkerClient : IDisposable
{
    private readonly HttpClient http;

    /// <summary>Creates the client (one connection pool for all workers).</summary>
    public WorkerClient(IOptions<PoolOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
        })
        {
            Timeout = options.Value.WorkerRequestTimeout,
        };
    }

    /// <summary>POSTs the spooled upload to the worker's <c>/submit</c>, byte for byte as the client sent it.</summary>
    public async Task<WorkerAnswer> SubmitAsync(PoolWorker worker, SpooledUpload upload, string client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(upload);
        var body = upload.Open();
        await using (body.ConfigureAwait(false))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(worker.Endpoint, "submit"));
            request.Content = new StreamContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(upload.ContentType);
            request.Content.Headers.ContentLength = upload.Length;
            return await SendAsync(request, client, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>GETs <paramref name="relative"/> (e.g. <c>status/job-…</c>) from the worker.</summary>
    public async Task<WorkerAnswer> GetAsync(PoolWorker worker, string relative, string? client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worker);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(worker.Endpoint, relative));
        return await SendAsync(request, client, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => http.Dispose();

    private async Task<WorkerAnswer> SendAsync(HttpRequestMessage request, string? client, CancellationToken cancellationToken)
    {
        if (client is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", client);
        }

        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var retryAfter = response.Headers.RetryAfter?.Delta is { } delta ? ((long)delta.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return new WorkerAnswer((int)response.StatusCode, text, response.Content.Headers.ContentType?.ToString(), retryAfter);
    }
}
