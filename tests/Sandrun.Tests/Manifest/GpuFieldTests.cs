using Sandrun.Manifest;
using static Sandrun.Tests.Manifest.ManifestTesting;

namespace Sandrun.Tests.Manifest;

/// <summary><c>gpu</c>: the request object and its subfields; a required GPU is refused (this server gives jobs none).</summary>
public sealed class GpuFieldTests
{
    [Fact]
    public void An_empty_request_is_an_optional_GPU()
    {
        Assert.Equal(new GpuRequest(false, null, null, null, null), Parse("""{"gpu": {}}""").Gpu);
    }

    [Fact]
    public void A_full_optional_request_is_read()
    {
        var gpu = Parse("""
            {"gpu": {"required": false, "device_id": 1, "min_vram_gb": 7.5, "cuda_version": "12.2.1", "compute_capability": "8.6"}}
            """).Gpu;

        Assert.Equal(new GpuRequest(false, 1, 7.5, "12.2.1", "8.6"), gpu);
    }

    [Theory]
    [InlineData("""{"required": true}""")]
    [InlineData("""{"required": true, "device_id": 0, "min_vram_gb": 1, "cuda_version": "12.2", "compute_capability": "8.6"}""")]
    public void A_required_GPU_is_refused_naming_the_field(string request)
    {
        var error = AssertField("gpu.required", $$"""{"gpu": {{request}}}""");

        Assert.StartsWith("this server does not give GPUs to jobs", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void An_optional_GPU_is_accepted()
    {
        Assert.False(Parse("""{"gpu": {"required": false, "device_id": 3}}""").Gpu!.Required);
    }

    [Theory]
    [InlineData("{\"vram\": 8}", "gpu.vram")]
    [InlineData("{\"Required\": true}", "gpu.Required")]
    [InlineData("{\"required\": \"yes\"}", "gpu.required")]
    [InlineData("{\"required\": 1}", "gpu.required")]
    [InlineData("{\"device_id\": -1}", "gpu.device_id")]
    [InlineData("{\"device_id\": 0.5}", "gpu.device_id")]
    [InlineData("{\"device_id\": \"0\"}", "gpu.device_id")]
    [InlineData("{\"min_vram_gb\": 0}", "gpu.min_vram_gb")]
    [InlineData("{\"min_vram_gb\": -4}", "gpu.min_vram_gb")]
    [InlineData("{\"min_vram_gb\": \"8\"}", "gpu.min_vram_gb")]
    [InlineData("{\"min_vram_gb\": 1e400}", "gpu.min_vram_gb")]
    [InlineData("{\"cuda_version\": 12.2}", "gpu.cuda_version")]
    [InlineData("{\"cuda_version\": \"latest\"}", "gpu.cuda_version")]
    [InlineData("{\"cuda_version\": \"12.2.1.4\"}", "gpu.cuda_version")]
    [InlineData("{\"cuda_version\": \"12.\"}", "gpu.cuda_version")]
    [InlineData("{\"compute_capability\": \"8\"}", "gpu.compute_capability")]
    [InlineData("{\"compute_capability\": \"sm_86\"}", "gpu.compute_capability")]
    [InlineData("{\"compute_capability\": 8.6}", "gpu.compute_capability")]
    [InlineData("true", "gpu")]
    [InlineData("\"any\"", "gpu")]
    [InlineData("[0]", "gpu")]
    public void Invalid_requests_name_the_subfield(string value, string field)
    {
        AssertField(field, $$"""{"gpu": {{value}}}""");
    }

    [Fact]
    public void Null_subfields_mean_their_default()
    {
        Assert.Equal(
            new GpuRequest(false, null, null, null, null),
            Parse("""{"gpu": {"required": null, "device_id": null, "min_vram_gb": null, "cuda_version": null, "compute_capability": null}}""").Gpu);
    }
}
