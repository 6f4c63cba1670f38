using System.Globalization;
using Microsoft.Extensions.Options;

namespace Sandrun.Linux;

/// <summary>Refuses sandbox settings that cannot work, at startup, naming the <c>Sandrun:Sandbox</c> key and its value.</summary>
internal sealed class LinuxSandboxOptionsValidator : IValidateOptions<LinuxSandboxOptions>
{
    private const string Section = ServiceCollectionExtensions.ConfigurationSection;

    public ValidateOptionsResult Validate(string? name, LinuxSandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Absolute(failures, "StateDirectory", options.StateDirectory);
        Absolute(failures, "CgroupV1Root", options.CgroupV1Root);
        Absolute(failures, "CgroupV2Root", options.CgroupV2Root);
        if (string.IsNullOrWhiteSpace(options.CgroupName) || options.CgroupName.Contains('/', StringComparison.Ordinal) || options.CgroupName is "." or "..")
        {
            failures.Add($"{Section}:CgroupName must be one path segment such as \"sandrun\" (was \"{options.CgroupName}\")");
        }

        for (var i = 0; i < options.RuntimePaths.Count; i++)
        {
            Absolute(failures, $"RuntimePaths:{i}", options.RuntimePaths[i]);
        }

        var path = options.Path.Split(':', StringSplitOptions.RemoveEmptyEntries);
        if (path.Length == 0 || path.Any(p => !p.StartsWith('/')))
        {
            failures.Add($"{Section}:Path must be a ':'-separated list of absolute directories (was \"{options.Path}\")");
        }

        if (options.HostIdBase is 0 or > uint.MaxValue - 65536)
        {
            failures.Add($"{Section}:HostIdBase must be from 1 to {(uint.MaxValue - 65536).ToString(CultureInfo.InvariantCulture)}, leaving room for two ids per running job (was {options.HostIdBase.ToString(CultureInfo.InvariantCulture)})");
        }

        Positive(failures, "SetupTimeout", options.SetupTimeout);
        Positive(failures, "LimitCheckInterval", options.LimitCheckInterval);
        Positive(failures, "RuntimeViewLifetime", options.RuntimeViewLifetime);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Absolute(List<string> failures, string key, string value)
    {
        if (string.IsNullOrEmpty(value) || !value.StartsWith('/'))
        {
            failures.Add($"{Section}:{key} must be an absolute path (was \"{value}\")");
        }
    }

    private static void Positive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:{key} must be a positive time span (was \"{value.ToString("c", CultureInfo.InvariantCulture)}\")");
        }
    }
}
