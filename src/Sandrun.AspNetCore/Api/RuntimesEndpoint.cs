using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;
using Sandrun.Runtimes;

namespace Sandrun.AspNetCore.Api;

/// <summary>GET /runtimes (SPEC.md §9): each installed language with its probed version, aliases and interpreter.</summary>
internal static class RuntimesEndpoint
{
    public static async Task<IResult> GetAsync(EngineEnvironment environment, RuntimeVersions runtimes) =>
        ApiJson.Ok(await ListAsync(environment, runtimes).ConfigureAwait(false), SandrunJsonContext.Default.IReadOnlyListRuntimeEntry);

    public static async Task<IReadOnlyList<RuntimeEntry>> ListAsync(EngineEnvironment environment, RuntimeVersions runtimes)
    {
        var versions = await runtimes.GetAsync().ConfigureAwait(false);
        return
        [
            .. Languages.Installed(environment.Interpreters).Select(l => new RuntimeEntry(
                l.Name, versions.GetValueOrDefault(l.Interpreter, RuntimeVersions.Unknown), l.Aliases, l.Interpreter, l.Interpreter)),
        ];
    }
}
