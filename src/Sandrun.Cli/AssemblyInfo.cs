using System.Runtime.Versioning;

// The receipt verifier comes from the engine, a Linux library; the packer reads file types with statx.
[assembly: SupportedOSPlatform("linux")]
