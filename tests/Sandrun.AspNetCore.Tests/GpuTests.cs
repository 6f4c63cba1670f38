using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Sandrun.AspNetCore.Tests;

/// <summary>
/// This server gives no GPU to jobs: a manifest that needs one is refused with a 400 naming <c>gpu.required</c>,
/// and a job that only wished for one runs without it, its status saying so.
/// </summary>
public sealed class GpuTests : IAsyncLifetime
{
    private const string Probe = "import glob, os\nprint(glob.glob('/dev/nvidia*'), os.environ.get('CUDA_VISIBLE_DEVICES'))\n";

    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Theory]
    [InlineData("""{"required": true}""")]
    [InlineData("""{"required": true, "device_id": 0, "min_vram_gb": 8, "cuda_version": "12.2", "compute_capability": "8.6"}""")]
    public async Task A_required_GPU_is_refused_with_a_400_naming_the_field(string gpu)
    {
        using var response = await server.SubmitAsync(new Dictionary<string, string> { ["main.py"] = Probe }, $$"""{"entrypoint": "main.py", "gpu": {{gpu}}}""");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid manifest", body.GetProperty("error").GetString());
        Assert.StartsWith("gpu.required: this server does not give GPUs to jobs", body.GetProperty("details").GetString(), StringComparison.Ordinal);
        var stats = await server.Client.GetFromJsonAsync<JsonElement>("/stats");
        Assert.Equal(0, stats.GetProperty("system").GetProperty("queue_length").GetInt32());
    }

    [Fact]
    public async Task An_optional_GPU_runs_without_one_and_the_status_says_so()
    {
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = Probe }, """{"entrypoint": "main.py", "gpu": {"required": false, "device_id": 0}}""");
        var status = await server.WaitForStatusAsync(id, "completed", "failed");

        Assert.Equal("completed", status.GetProperty("status").GetString());
        var note = Assert.Single(status.GetProperty("notes").EnumerateArray()).GetString();
        Assert.StartsWith("gpu: no GPU was given to this job", note, StringComparison.Ordinal);
        Assert.Contains("[] None", await server.Client.GetStringAsync($"/logs/{id}?format=text"), StringComparison.Ordinal);

        var plain = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = Probe }, """{"entrypoint": "main.py"}""");
        var plainStatus = await server.WaitForStatusAsync(plain, "completed", "failed");
        Assert.Empty(plainStatus.GetProperty("notes").EnumerateArray());
    }
}
