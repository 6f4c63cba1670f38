using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sandrun.AspNetCore.Api;
using Sandrun.AspNetCore.Health;

namespace Sandrun.AspNetCore;

/// <summary>Registers what <c>MapSandrun()</c> needs on top of the engine (<c>AddSandrun()</c>) and a sandbox.</summary>
public static class SandrunApiServiceCollectionExtensions
{
    /// <summary>
    /// Adds the HTTP API's services with <see cref="ClientAddressOptions"/> bound from <c>Sandrun:RateLimits</c>
    /// (<c>TrustedProxies</c>) in <paramref name="configuration"/>, then <paramref name="configure"/>.
    /// See <see cref="AddSandrunApi(IServiceCollection, Action{ClientAddressOptions}?)"/>.
    /// </summary>
    public static IServiceCollection AddSandrunApi(this IServiceCollection services, IConfiguration configuration, Action<ClientAddressOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ClientAddressOptions>().Bind(configuration.GetSection("Sandrun:RateLimits"));
        return services.AddSandrunApi(configure);
    }

    /// <summary>
    /// Adds the HTTP API's services: the client address quotas count against (<see cref="SandrunClientAddress"/>,
    /// options validated at startup), the CORS policy of its endpoints (<c>Access-Control-Allow-Origin: *</c>, a named
    /// policy: the app's own CORS is untouched; the app calls <c>app.UseCors()</c>), and a health check of the sandbox
    /// (tag <c>sandrun</c>) that <c>GET /health</c> runs and the app's own health endpoints report too.
    /// </summary>
    public static IServiceCollection AddSandrunApi(this IServiceCollection services, Action<ClientAddressOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ClientAddressOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(SandrunClientAddress)))
        {
            return services;
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClientAddressOptions>, ClientAddressOptionsValidator>());
        services.AddSingleton<SandrunClientAddress>();
        services.AddCors(cors => cors.AddPolicy(SandrunCors.Api, policy => policy.AllowAnyOrigin().AllowAnyHeader().AllowAnyMethod().SetPreflightMaxAge(TimeSpan.FromDays(1))));
        services.AddHealthChecks().AddCheck<SandboxHealthCheck>(SandboxHealthCheck.Name, tags: [SandboxHealthCheck.Tag]);
        return services;
    }
}
