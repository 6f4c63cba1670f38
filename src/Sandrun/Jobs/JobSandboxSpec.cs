using Sandrun.Abstractions;

namespace Sandrun.Jobs;

/// <summary>What a job's manifest and the server's limits ask of the sandbox: limits, environment, mounts, command.</summary>
internal static class JobSandboxSpec
{
    /// <summary>The limits of the job's runs (the install step's and the program's).</summary>
    public static SandboxLimits Limits(Job job, LimitOptions server)
    {
        var m = job.Manifest;
        return new SandboxLimits(TimeSpan.FromSeconds(m.TimeoutSeconds), TimeSpan.FromSeconds(m.CpuSeconds), (long)m.MemoryMb << 20, server.MaxPids, server.OutputBytesPerStream)
        {
            TmpBytes = (long)server.WorkspaceMb << 20,
            MaxFileSizeBytes = (long)server.WorkspaceMb << 20,
        };
    }

    /// <summary>The program's run, reporting its CPU time to <paramref name="cpuProgress"/> as it goes.</summary>
    public static SandboxSpec For(Job job, SandboxLimits limits, EngineEnvironment environment, Action<TimeSpan> cpuProgress)
    {
        var m = job.Manifest;
        var env = new Dictionary<string, string>(m.Env, StringComparer.Ordinal);
        var mounts = new List<ReadOnlyMount>();
        if (m.Environment is { } name && environment.Templates.TryGetValue(name, out var template))
        {
            mounts.Add(new ReadOnlyMount(template, EngineEnvironment.TemplateMountPath(name)));
            foreach (var (variable, value) in environment.VariablesFor(name, env))
            {
                env[variable] = value;
            }
        }

        RequirementsStep.AddToEnvironment(m, env);
        return new SandboxSpec(Manifest.Interpreters.Command(m.Interpreter, m.Entrypoint, m.Args), job.Workspace.Path, limits)
        {
            Environment = env,
            ReadOnlyMounts = mounts,
            CpuProgress = cpuProgress,
            Stdin = System.Text.Encoding.UTF8.GetBytes(m.Stdin),
        };
    }
}
