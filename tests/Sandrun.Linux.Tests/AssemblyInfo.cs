using System.Runtime.Versioning;

[assembly: SupportedOSPlatform("linux")]

// Sandbox tests measure CPU, wall time and memory of real jobs on a 2-core machine: run them one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
