using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sandrun.Abstractions;

namespace Sandrun.Linux;

/// <summary>DI registration of the Linux sandbox.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Runs Sandrun's jobs in the Linux sandbox: <c>services.AddSandrun(configuration).UseLinuxSandbox()</c>.
    /// The same as <see cref="AddLinuxSandbox"/>.
    /// </summary>
    public static IServiceCollection UseLinuxSandbox(this IServiceCollection services, Action<LinuxSandboxOptions>? configure = null) =>
        services.AddLinuxSandbox(configure);

    /// <summary>Registers <see cref="LinuxSandbox"/> as the <see cref="ISandbox"/>, and tmpfs job workspaces.</summary>
    public static IServiceCollection AddLinuxSandbox(this IServiceCollection services, Action<LinuxSandboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<LinuxSandboxOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton<LinuxSandbox>();
        services.TryAddSingleton<ISandbox>(sp => sp.GetRequiredService<LinuxSandbox>());
        services.TryAddSingleton<IWorkspaceProvider, Workspace.TmpfsWorkspaceProvider>();
        return services;
    }
}
