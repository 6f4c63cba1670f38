using Sandrun.Manifest;
using static Sandrun.Tests.Manifest.ManifestTesting;

namespace Sandrun.Tests.Manifest;

/// <summary><c>gpu</c>: the request object, its subfields, and whether this host can satisfy a required GPU.</summary>
public sealed class GpuFieldTests
{
    [Fact]
    public void An_empty_request_is_an_optional_GPU()
    {
        Assert.Equal(new GpuRequest(false, null, null, null, null), Parse("""{"gpu": {}}""").Gpu);
    }

    [Fact]
    public void A_full_request_is_read()
    {
        var gpu = Parse("""
            {"gpu": {"required": true, "device_id": 1, "min_vram_gb": 7.5, "cuda_version": "12.2.1", "compute_capability": "8.6"}}
            """, Context(gpus: 2)).Gpu;

        Assert.Equal(new GpuRequest(true, 1, 7.5, "12.2.1", "8.6"), gpu);
    }

    [Fact]
    public void A_required_GPU_on_a_host_without_one_is_refused()
    {
        var error = AssertField("gpu.required", """{"gpu": {"required": true}}""", Context(gpus: 0));

        Assert.StartsWith("no matching GPU on this host", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void A_required_device_the_host_does_not_have_is_refused()
    {
        var error = AssertField("gpu.device_id", """{"gpu": {"required": true, "device_id": 2}}""", Context(gpus: 2));

        Assert.StartsWith("no matching GPU on this host", error.Details, StringComparison.Ordinal);
        Assert.Equal(1, Parse("""{"gpu": {"required": true, "device_id": 1}}""", Context(gpus: 2)).Gpu!.DeviceId);
    }

    [Fact]
    public void An_optional_GPU_is_accepted_anywhere()
    {
        Assert.False(Parse("""{"gpu": {"required": false, "device_id": 3}}""", Context(gpus: 0)).Gpu!.Required);
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
        AssertField(field, $$"""{"gpu": {{value}}}""", Context(gpus: 4));
    }

    [Fact]
    public void Null_subfields_mean_their_default()
    {
        Assert.Equal(
            new GpuRequest(false, null, null, null, null),
            Parse("""{"gpu": {"required": null, "device_id": null, "min_vram_gb": null, "cuda_version": null, "compute_capability": null}}""").Gpu);
    }
}
