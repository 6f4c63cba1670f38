using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandrun.Server;

namespace Sandrun.AspNetCore.Tests;

/// <summary>The sample server's <c>/openapi/v1.json</c> (Microsoft.AspNetCore.OpenApi over MapSandrun's metadata) describes every operation.</summary>
public sealed class OpenApiTests
{
    private static readonly string[] Operations = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

    [Fact]
    public async Task Every_operation_has_an_id_and_response_schemas_and_submit_a_multipart_body()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = ["--urls", "http://127.0.0.1:0", "--Sandrun:Sandbox:StateDirectory", "/run/sandrun-http-openapi"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        await using var app = ServerApp.Build(builder, signer: null);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()) };
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        await app.StopAsync();

        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Where(o => Operations.Contains(o.Name)).Select(o => (Path: path.Name, Method: o.Name, Operation: o.Value)))
            .ToList();
        Assert.Equal(
            ["get /", "get /api/v2/runtimes", "get /download/{jobId}", "get /download/{jobId}/{path}", "get /environments", "get /health", "get /logs/{jobId}",
             "get /logs/{jobId}/events", "get /logs/{jobId}/stream", "get /outputs/{jobId}", "get /runtimes", "get /stats", "get /status/{jobId}", "get /stream/{jobId}",
             "post /api/v2/execute", "post /execute", "post /submit"],
            operations.Select(o => $"{o.Method} {o.Path}").Order(StringComparer.Ordinal));
        foreach (var (path, method, operation) in operations)
        {
            Assert.StartsWith("Sandrun", operation.GetProperty("operationId").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(operation.GetProperty("summary").GetString()), $"{method} {path}: summary");
            var withSchemas = operation.GetProperty("responses").EnumerateObject()
                .Where(r => r.Value.TryGetProperty("content", out var content) && content.EnumerateObject().All(c => c.Value.TryGetProperty("schema", out _)))
                .Select(r => r.Name).ToList();
            Assert.True(withSchemas.Count > 0, $"{method} {path}: no response with a schema");
        }

        var submit = document.GetProperty("paths").GetProperty("/submit").GetProperty("post");
        var form = submit.GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
        var schema = Resolve(document, form);
        Assert.True(schema.GetProperty("properties").TryGetProperty("files", out _), schema.GetRawText());
        Assert.True(schema.GetProperty("properties").TryGetProperty("manifest", out _), schema.GetRawText());
        Assert.Equal(["files"], schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        var status = Resolve(document, document.GetProperty("paths").GetProperty("/status/{jobId}").GetProperty("get").GetProperty("responses").GetProperty("200")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(status.GetProperty("properties").TryGetProperty("worker_metadata", out _), status.GetRawText());
    }

    private static JsonElement Resolve(JsonElement document, JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;
}
