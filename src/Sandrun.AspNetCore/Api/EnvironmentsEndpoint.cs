using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>GET /environments: the environment templates and the interpreters the sandbox can run.</summary>
internal static class EnvironmentsEndpoint
{
    public static IResult Get(EngineEnvironment environment) =>
        ApiJson.Ok(
            new EnvironmentsResponse(
                [.. environment.Templates.Keys.Order(StringComparer.Ordinal).Select(name => new EnvironmentTemplate(name, EngineEnvironment.TemplateMountPath(name)))],
                environment.Interpreters),
            SandrunJsonContext.Default.EnvironmentsResponse);
}
