namespace Sandrun.Manifest;

/// <summary>The manifest's <c>gpu</c> object (SPEC.md §3).</summary>
/// <param name="Required">When true the job is refused (400): this server gives no GPU to jobs. When false the job runs,
/// without a GPU, and its status says so.</param>
/// <param name="DeviceId">A specific device index on the host, or null for any.</param>
/// <param name="MinVramGb">Least video memory wanted, in GB, or null for any.</param>
/// <param name="CudaVersion">CUDA version wanted, e.g. <c>12.2</c>, or null for any.</param>
/// <param name="ComputeCapability">CUDA compute capability wanted, e.g. <c>8.6</c>, or null for any.</param>
public sealed record GpuRequest(bool Required, int? DeviceId, double? MinVramGb, string? CudaVersion, string? ComputeCapability)
{
    /// <summary>The job note for a job whose manifest asked for an optional GPU.</summary>
    public const string NotGivenNote = "gpu: no GPU was given to this job; this server does not give GPUs to jobs (the manifest's gpu request was optional)";
}
