using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;

namespace Sandrun.Linux;

/// <summary>DI registration of the Linux sandbox.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>The configuration section <see cref="LinuxSandboxOptions"/> is bound from.</summary>
    public const string ConfigurationSection = "Sandrun:Sandbox";

    /// <summary>
    /// Runs Sandrun's jobs in the Linux sandbox, configured from the <c>Sandrun:Sandbox</c> section of
    /// <paramref name="configuration"/> and then <paramref name="configure"/>:
    /// <c>services.AddSandrun(configuration).UseLinuxSandbox(configuration)</c>. The same as
    /// <see cref="AddLinuxSandbox(IServiceCollection, IConfiguration, Action{LinuxSandboxOptions}?)"/>.
    /// </summary>
    public static IServiceCollection UseLinuxSandbox(this IServiceCollection services, IConfiguration configuration, Action<LinuxSandboxOptions>? configure = null) =>
        services.AddLinuxSandbox(configuration, configure);

    /// <summary>
    /// Runs Sandrun's jobs in the Linux sandbox configured in code only. The same as
    /// <see cref="AddLinuxSandbox(IServiceCollection, Action{LinuxSandboxOptions}?)"/>.
    /// </summary>
    public static IServiceCollection UseLinuxSandbox(this IServiceCollection services, Action<LinuxSandboxOptions>? configure = null) =>
        services.AddLinuxSandbox(configure);

    /// <summary>
    /// Registers <see cref="LinuxSandbox"/> as the <see cref="ISandbox"/>, and tmpfs job workspaces, with options bound
    /// from the <c>Sandrun:Sandbox</c> section of <paramref name="configuration"/> (e.g. <c>--Sandrun:Sandbox:Network
    /// PerJobNamespace</c>), then <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddLinuxSandbox(this IServiceCollection services, IConfiguration configuration, Action<LinuxSandboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LinuxSandboxOptions>().Bind(configuration.GetSection(ConfigurationSection));
        return services.AddLinuxSandbox(configure);
    }

    /// <summary>
    /// Registers <see cref="LinuxSandbox"/> as the <see cref="ISandbox"/>, and tmpfs job workspaces. Options are
    /// validated when the host starts; a bad value stops the start with a message naming its configuration key.
    /// </summary>
    public static IServiceCollection AddLinuxSandbox(this IServiceCollection services, Action<LinuxSandboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<LinuxSandboxOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LinuxSandboxOptions>, LinuxSandboxOptionsValidator>());
        services.TryAddSingleton<LinuxSandbox>();
        services.TryAddSingleton<ISandbox>(sp => sp.GetRequiredService<LinuxSandbox>());
        services.TryAddSingleton<IWorkspaceProvider, Workspace.TmpfsWorkspaceProvider>();
        return services;
    }
}
