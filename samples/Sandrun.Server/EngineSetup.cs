using Sandrun.Abstractions;
using Sandrun.Linux;
using Sandrun.Receipts;

namespace Sandrun.Server;

/// <summary>What every hosting verb does before it builds its host: the root check, the worker key, the engine.</summary>
internal static class EngineSetup
{
    /// <summary>Null (after printing why to stderr) when the process can't host jobs: not root, or a bad worker key.</summary>
    public static async Task<(bool Ok, Ed25519Signer? Signer)> PrepareAsync(string? keyFile)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            await Console.Error.WriteLineAsync("sandrun: must run as root (namespaces, cgroups and mounts need it); try: sudo ...").ConfigureAwait(false);
            return (false, null);
        }

        if (keyFile is null)
        {
            return (true, null);
        }

        try
        {
            return (true, Ed25519Signer.Load(keyFile));
        }
        catch (KeyFileException e)
        {
            await Console.Error.WriteLineAsync("sandrun: " + e.Message).ConfigureAwait(false);
            return (false, null);
        }
    }

    /// <summary>The engine on the Linux sandbox, configured from the <c>Sandrun</c> section, signing with <paramref name="signer"/> if given.</summary>
    public static void AddEngine(IServiceCollection services, IConfiguration configuration, Ed25519Signer? signer)
    {
        services.AddSandrun(configuration).UseLinuxSandbox(configuration);
        if (signer is not null)
        {
            services.AddSingleton<IResultSigner>(signer);
        }
    }

    /// <summary>Prints the capability report to <paramref name="output"/> and refuses to go on without a working sandbox.</summary>
    public static void EnsureSandbox(IServiceProvider services, TextWriter output)
    {
        var sandbox = services.GetRequiredService<LinuxSandbox>();
        output.WriteLine(sandbox.Capabilities);
        sandbox.EnsureReady();
        output.WriteLine("sandbox ready: " + sandbox.Describe());
    }
}
