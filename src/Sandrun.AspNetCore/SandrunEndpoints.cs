using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Api;
using Sandrun.AspNetCore.Mcp;
using Sandrun.Jobs;
using Sandrun.Quotas;

namespace Sandrun.AspNetCore;

/// <summary>Maps the Sandrun HTTP API (SPEC.md §2) onto an ASP.NET Core app.</summary>
public static class SandrunEndpoints
{
    /// <summary>
    /// Maps every Sandrun endpoint below <paramref name="prefix"/> ("" = the root). Needs <c>AddSandrun()</c>, a
    /// sandbox, and <c>app.UseWebSockets()</c> for live log streaming. Responses carry
    /// <c>Access-Control-Allow-Origin: *</c>; OPTIONS preflights are answered; unknown paths get a JSON 404.
    /// With <c>AddSandrunMcp()</c> it also maps the MCP Streamable HTTP endpoint (default <c>/mcp</c>), guarded
    /// against DNS rebinding and open to browsers only from allowed origins.
    /// </summary>
    public static RouteGroupBuilder MapSandrun(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(prefix);
        group.AddEndpointFilter(async (context, next) =>
        {
            context.HttpContext.Response.Headers.AccessControlAllowOrigin = "*";
            return await next(context).ConfigureAwait(false);
        });

        group.MapGet("/", (IOptions<SandrunOptions> options) => ApiJson.Ok(new
        {
            service = "sandrun",
            status = "running",
            version = typeof(SandrunEndpoints).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            description = "Anonymous, ephemeral, sandboxed code execution",
            privacy = "No accounts. Job data lives in RAM and is deleted after download, 5 minutes after a failure or 1 hour after completion. Logs hold ids, sizes and timings only.",
            limits = new
            {
                default_timeout_seconds = options.Value.Limits.DefaultTimeoutSeconds,
                max_timeout_seconds = options.Value.Limits.MaxTimeoutSeconds,
                default_memory_mb = options.Value.Limits.DefaultMemoryMb,
                max_memory_mb = options.Value.Limits.MaxMemoryMb,
                default_cpu_seconds = options.Value.Limits.DefaultCpuSeconds,
                max_cpu_seconds = options.Value.Limits.MaxCpuSeconds,
                max_pids = options.Value.Limits.MaxPids,
                workspace_mb = options.Value.Limits.WorkspaceMb,
                output_bytes_per_stream = options.Value.Limits.OutputBytesPerStream,
                max_upload_bytes = options.Value.Limits.MaxUploadBytes,
                cpu_seconds_per_minute = options.Value.RateLimits.CpuSecondsPerMinute,
                max_active_jobs = options.Value.RateLimits.MaxActiveJobs,
                max_jobs_per_hour = options.Value.RateLimits.MaxJobsPerHour,
            },
        }));

        group.MapPost("/submit", SubmitAsync).DisableAntiforgery();
        group.MapGet("/status/{jobId}", (string jobId, JobEngine engine, IServiceProvider services) =>
            engine.TryGet(jobId, out var job)
                ? ApiJson.Ok(Status.For(job, engine.PositionOf(jobId), services.GetService<IResultSigner>()))
                : Downloads.NotFound(jobId));
        group.MapGet("/logs/{jobId}", Logs);
        group.Map("/logs/{jobId}/stream", (HttpContext context, string jobId, JobEngine engine) => LogStreaming.StreamAsync(context, engine, jobId));
        group.Map("/stream/{jobId}", (HttpContext context, string jobId, JobEngine engine) => LogStreaming.StreamAsync(context, engine, jobId));
        group.MapGet("/outputs/{jobId}", Outputs);
        group.MapGet("/download/{jobId}/{**path}", (HttpContext context, string jobId, string path, JobEngine engine) => Downloads.OneAsync(context, engine, jobId, path));
        group.MapGet("/download/{jobId}", (HttpContext context, string jobId, JobEngine engine) => Downloads.AllAsync(context, engine, jobId));
        group.MapGet("/stats", (HttpContext context, JobEngine engine, ClientQuotas quotas, IOptions<SandrunOptions> options) =>
        {
            var quota = quotas.Snapshot(ClientAddress.Resolve(context, options.Value.RateLimits.TrustedProxies));
            return ApiJson.Ok(new
            {
                your_quota = new
                {
                    used = Math.Round(quota.UsedCpuSeconds, 3),
                    limit = quota.LimitCpuSeconds,
                    available = Math.Round(quota.AvailableCpuSeconds, 3),
                    active_jobs = quota.ActiveJobs,
                    can_submit = quota.CanSubmit,
                    reason = quota.Reason,
                },
                system = new { queue_length = engine.QueueLength, active_jobs = engine.RunningJobs },
            });
        });
        group.MapGet("/environments", (EngineEnvironment environment) => ApiJson.Ok(new
        {
            environments = environment.Templates.Keys.Order(StringComparer.Ordinal)
                .Select(name => new { name, mount_path = EngineEnvironment.TemplateMountPath(name) }),
            interpreters = environment.Interpreters,
        }));
        group.MapGet("/health", (IServiceProvider services) => ApiJson.Ok(new { status = "healthy", worker_id = services.GetService<IResultSigner>()?.WorkerId }));

        group.MapMethods("/{**path}", ["OPTIONS"], (HttpContext context) =>
        {
            Preflight.Answer(context, "GET, POST, OPTIONS", "Content-Type, Accept");
            return Results.Empty;
        });
        if (endpoints.ServiceProvider.GetService<SandrunMcpMarker>() is not null)
        {
            SandrunMcpEndpoint.Map(endpoints, prefix);
        }

        group.MapFallback((HttpContext context) => ApiJson.Error(404, "not found", $"no endpoint {context.Request.Method} {Shorten(context.Request.Path.Value ?? "/")}"));
        return group;
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, JobEngine engine, IOptions<SandrunOptions> options)
    {
        var limits = options.Value.Limits;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            // Room for multipart framing and the manifest on top of the file bytes.
            size.MaxRequestBodySize = limits.MaxUploadBytes + (2 << 20);
        }

        try
        {
            var (parts, manifest) = await MultipartUpload.ReadAsync(context.Request, limits.MaxUploadBytes, context.RequestAborted).ConfigureAwait(false);
            var client = ClientAddress.Resolve(context, options.Value.RateLimits.TrustedProxies);
            var (id, position) = await engine.SubmitAsync(new SubmitRequest(client, parts, manifest), context.RequestAborted).ConfigureAwait(false);
            return ApiJson.Ok(new { job_id = id, status = "queued", position });
        }
        catch (SubmitException e)
        {
            return ApiJson.Error(e.StatusCode, e.Error, e.Details, e.StatusCode is 429 or 503 ? e.RetryAfter : null);
        }
        catch (BadHttpRequestException e)
        {
            return ApiJson.Error(e.StatusCode == 413 ? 413 : 400, e.StatusCode == 413 ? "upload too large" : "invalid upload", e.Message);
        }
        catch (IOException e) when (e.InnerException is null && !context.RequestAborted.IsCancellationRequested)
        {
            // Malformed multipart framing (e.g. a body that ends mid-section).
            return ApiJson.Error(400, "invalid upload", e.Message);
        }
    }

    private static IResult Logs(HttpContext context, string jobId, JobEngine engine)
    {
        if (!engine.TryGet(jobId, out var job))
        {
            return Downloads.NotFound(jobId);
        }

        var (all, stdout, stderr) = job.Log.Snapshot();
        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return ApiJson.Ok(new { stdout = Encoding.UTF8.GetString(stdout), stderr = Encoding.UTF8.GetString(stderr), truncated = job.Log.Truncated });
        }

        return Results.Bytes(all, "text/plain; charset=utf-8");
    }

    private static IResult Outputs(string jobId, JobEngine engine, HttpContext context)
    {
        if (!engine.TryGet(jobId, out var job))
        {
            return Downloads.NotFound(jobId);
        }

        var basePath = context.Request.PathBase + context.Request.Path.Value![..^($"/outputs/{jobId}".Length)];
        return ApiJson.Ok(new
        {
            job_id = job.Id,
            status = FailureNames.For(job.Status),
            outputs = job.Outputs.Select(o => new
            {
                path = o.Path,
                size_bytes = o.SizeBytes,
                sha256_hash = o.Sha256,
                type = o.Type,
                mime_type = o.MimeType,
                download_url = $"{basePath}/download/{job.Id}/{string.Join('/', o.Path.Split('/').Select(Uri.EscapeDataString))}",
            }),
            notes = job.Notes,
        });
    }

    private static string Shorten(string s) => s.Length <= 128 ? s : s[..128] + "…";
}
