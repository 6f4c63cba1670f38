using Microsoft.Extensions.Options;

namespace Sandrun.AspNetCore.Mcp;

/// <summary>Refuses MCP settings that cannot work, at startup, naming the <c>Sandrun:Mcp</c> key and its value.</summary>
internal sealed class SandrunMcpOptionsValidator : IValidateOptions<SandrunMcpOptions>
{
    public ValidateOptionsResult Validate(string? name, SandrunMcpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Path.Trim('/').Length == 0 || options.Path.Contains('{', StringComparison.Ordinal) || options.Path.Contains("//", StringComparison.Ordinal))
        {
            failures.Add($"Sandrun:Mcp:Path must be a path below MapSandrun's prefix such as \"/mcp\" (was \"{options.Path}\")");
        }

        AtLeastOne(failures, "MaxWaitSeconds", options.MaxWaitSeconds);
        AtLeastOne(failures, "MaxInlineOutputBytes", options.MaxInlineOutputBytes);
        AtLeastOne(failures, "MaxReadOutputBytes", options.MaxReadOutputBytes);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AtLeastOne(List<string> failures, string key, int value)
    {
        if (value < 1)
        {
            failures.Add($"Sandrun:Mcp:{key} must be ≥ 1 (was {value})");
        }
    }
}
