using System.Diagnostics;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Tests;

public sealed class SpawnRoutineTests
{
    /// <summary>The embedded spawn routine and sandrun-init are exactly what build-blob.sh makes from the C sources.</summary>
    [Fact]
    public void Embedded_blobs_match_a_fresh_build_of_the_C_source()
    {
        var script = Path.Combine(RepoRoot(), "src", "Sandrun.Linux", "Native", "build-blob.sh");
        var outDir = Directory.CreateTempSubdirectory("blob").FullName;
        try
        {
            using var build = Process.Start(new ProcessStartInfo("bash", [script, outDir]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var log = build.StandardOutput.ReadToEnd() + build.StandardError.ReadToEnd();
            build.WaitForExit();
            Assert.True(build.ExitCode == 0, log);
            foreach (var file in new[] { "spawn.x86_64.bin", "init.x86_64.elf", "spawn.arm64.bin", "init.arm64.elf" })
            {
                Assert.True(File.Exists(Path.Combine(outDir, file)), $"{file} was not built (arm64 needs clang, lld and llvm tools, installed by .ci/run): {log}");
                Assert.True(File.ReadAllBytes(Path.Combine(outDir, file)).AsSpan().SequenceEqual(SpawnRoutine.ReadBlob("Sandrun.Linux." + file)), $"{file} differs from a fresh build");
            }
        }
        finally
        {
            Directory.Delete(outDir, true);
        }
    }

    private static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Sandrun.sln")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("repository root not found");
        }

        return dir;
    }
}
