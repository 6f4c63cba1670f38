using BenchmarkDotNet.Attributes;
using Sandrun.Abstractions;
using Sandrun.Linux;
using Sandrun.Linux.Mounts;
using Sandrun.Linux.Seccomp;
using Sandrun.Linux.Spawn;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Benchmarks;

/// <summary>Per-process and per-job compilation costs on the spawn path.</summary>
[MemoryDiagnoser]
public class CompileBenchmarks
{
    private readonly LinuxSandboxOptions options = new();
    private readonly SandboxSpec spec = new(["/bin/true"], "/tmp", SandboxLimits.Default);
    private BpfInstruction[] seccomp = [];
    private HostStaging host = null!;
    private PlanFeatures features = null!;

    [GlobalSetup]
    public void Setup()
    {
        seccomp = SeccompCompiler.Compile(DefaultSeccompPolicy.Policy);
        host = HostStaging.Create(options);
        features = new PlanFeatures(true, false, false, true, 40, host);
    }

    [GlobalCleanup]
    public void Cleanup() => host.Dispose();

    /// <summary>Once per process.</summary>
    [Benchmark]
    public BpfInstruction[] CompileDefaultSeccompPolicy() => SeccompCompiler.Compile(DefaultSeccompPolicy.Policy);

    /// <summary>Once per job: the child's syscall list, laid out in native memory.</summary>
    [Benchmark]
    public void CompileAndLayOutSpawnPlan()
    {
        using var runtime = host.Runtime.Acquire();
        var builder = SandboxPlanCompiler.Compile(SyscallTable.X86_64, options, spec, "/bin/true", ["PATH=/usr/bin"], new ChildFds(10, 11, 12, 13, 14, 15, 16, 17, 18, [19, 20, 21]), features, runtime.Entries, seccomp);
        using var plan = builder.Build(default, true, -1, -1, 13);
    }
}
