using System.Runtime.Versioning;

[assembly: SupportedOSPlatform("linux")]

// Real processes, sandboxes and a PostgreSQL server on a 2-core machine: one test class at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
