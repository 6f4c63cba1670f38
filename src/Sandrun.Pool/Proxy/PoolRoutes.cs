namespace Sandrun.Pool.Proxy;

/// <summary>Where the pool is mapped (the prefix given to <c>MapSandrunPool</c>), for the proxied routes and rewritten URLs.</summary>
internal sealed class PoolRoutes
{
    public const string ClusterId = "sandrun-workers";

    public const string CorsPolicy = "SandrunPool";

    /// <summary>The mapped prefix without a trailing slash ("" at the root).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Whether <c>MapSandrunPool</c> has run (YARP routes are built once, from this prefix).</summary>
    public bool Mapped { get; set; }
}
