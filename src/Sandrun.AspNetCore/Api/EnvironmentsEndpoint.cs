using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>GET /environments: the environment templates and the interpreters the sandbox can run.</summary>
internal static class EnvironmentsEndpoint
{
    public static IResult Get(EngineEnvironment environment) =>
        ApiJson.Ok(
            new EnvironmentsResponse(
                [.. environment.Templates.Keys.Order(StringComparer.Ordinal).Select(name => Describe(environment, name))],
                environment.Interpreters),
            SandrunJsonContext.Default.EnvironmentsResponse);

    private static EnvironmentTemplate Describe(EngineEnvironment environment, string name) =>
        environment.Descriptors.TryGetValue(name, out var descriptor)
            ? new EnvironmentTemplate(name, EngineEnvironment.TemplateMountPath(name), descriptor.Description,
                [.. descriptor.Packages.Select(p => new EnvironmentPackageEntry(p.Name, p.Version))])
            : new EnvironmentTemplate(name, EngineEnvironment.TemplateMountPath(name), null, []);
}
