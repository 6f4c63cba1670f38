namespace Sandrun.Manifest;

/// <summary>The manifest's <c>gpu</c> object (SPEC.md §3).</summary>
/// <param name="Required">When true the job is refused (400) unless this host has a matching GPU; when false the GPU is a preference.</param>
/// <param name="DeviceId">A specific device index on the host, or null for any.</param>
/// <param name="MinVramGb">Least video memory wanted, in GB, or null for any.</param>
/// <param name="CudaVersion">CUDA version wanted, e.g. <c>12.2</c>, or null for any.</param>
/// <param name="ComputeCapability">CUDA compute capability wanted, e.g. <c>8.6</c>, or null for any.</param>
public sealed record GpuRequest(bool Required, int? DeviceId, double? MinVramGb, string? CudaVersion, string? ComputeCapability);
