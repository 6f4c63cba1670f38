using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Sandrun.AspNetCore.Tests;

/// <summary>Operator-configured environment templates: listed, mounted read-only for jobs that name them.</summary>
public sealed class EnvironmentTemplateTests : IDisposable
{
    private readonly string template = Directory.CreateTempSubdirectory("sandrun-env").FullName;

    public EnvironmentTemplateTests()
    {
        // A tiny "prepared environment": a Python module the job imports from the template.
        File.WriteAllText(Path.Combine(template, "greeting.py"), "def hello():\n    return 'from the template'\n");
        foreach (var path in new[] { template, Path.Combine(template, "greeting.py") })
        {
            File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
        }
    }

    public void Dispose() => Directory.Delete(template, true);

    [Fact]
    public async Task Templates_are_listed_mounted_read_only_and_unknown_names_are_refused()
    {
        await using var server = await TestServer.StartAsync(o => o.Environments["data-science"] = template, "/run/sandrun-http-env");
        var listing = await server.Client.GetFromJsonAsync<JsonElement>("/environments");
        var entry = listing.GetProperty("environments").EnumerateArray().Single();
        Assert.Equal("data-science", entry.GetProperty("name").GetString());
        Assert.Equal("/opt/sandrun/environments/data-science", entry.GetProperty("mount_path").GetString());

        var code = "import os, sys\nsys.path.insert(0, os.environ['SANDRUN_ENVIRONMENT'])\nimport greeting\nprint(greeting.hello())\n"
            + "try:\n    open(os.environ['SANDRUN_ENVIRONMENT'] + '/x', 'w')\nexcept OSError as e:\n    print('read-only', e.errno)\n";
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = code }, """{"entrypoint":"main.py","environment":"data-science"}""");
        var status = await server.WaitForStatusAsync(id, "completed", "failed");
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal("data-science", status.GetProperty("execution_metadata").GetProperty("environment").GetString());
        Assert.Equal("from the template\nread-only 30\n", await server.Client.GetStringAsync($"/logs/{id}"));

        using var unknown = await server.SubmitAsync(new Dictionary<string, string> { ["main.py"] = "print(1)" }, """{"entrypoint":"main.py","environment":"gpu-magic"}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        var body = await unknown.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("environment", body.GetProperty("details").GetString(), StringComparison.Ordinal);
        Assert.Contains("data-science", body.GetProperty("details").GetString(), StringComparison.Ordinal);
    }
}
