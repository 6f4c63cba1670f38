using System.Runtime.Versioning;

[assembly: SupportedOSPlatform("linux")]

// Worker processes with real sandboxes on a 2-core machine: one test class at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
