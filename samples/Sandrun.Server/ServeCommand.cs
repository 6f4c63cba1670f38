using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Sandrun.AspNetCore;
using Sandrun.Abstractions;
using Sandrun.Linux;
using Sandrun.Receipts;

namespace Sandrun.Server;

/// <summary>The HTTP server (SPEC.md §1): <c>[--port N] [--host ADDR] [--urls URLS]</c> plus ASP.NET Core's own options.</summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var port = 8443;
        var host = "127.0.0.1";
        var passThrough = new List<string>();
        var urlsGiven = false;
        string? keyFile = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--port":
                    port = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536
                        ? p : throw new UsageException("--port needs a number from 1 to 65535");
                    i++;
                    break;
                case "--host":
                    host = value ?? throw new UsageException("--host needs an address");
                    i++;
                    break;
                case "--worker-key":
                    keyFile = value ?? throw new UsageException("--worker-key needs a file");
                    i++;
                    break;
                case "--urls":
                    urlsGiven = true;
                    passThrough.Add(args[i]);
                    passThrough.Add(value ?? throw new UsageException("--urls needs a value"));
                    i++;
                    break;
                default:
                    if (!args[i].StartsWith("--", StringComparison.Ordinal) || value is null)
                    {
                        throw new UsageException($"unknown option '{args[i]}'");
                    }

                    // Other --Key value pairs are ASP.NET Core / Sandrun configuration (e.g. --Sandrun:Workers 4).
                    passThrough.Add(args[i]);
                    passThrough.Add(value);
                    i++;
                    break;
            }
        }

        if (!Environment.IsPrivilegedProcess)
        {
            await Console.Error.WriteLineAsync("sandrun: must run as root (namespaces, cgroups and mounts need it); try: sudo ...").ConfigureAwait(false);
            return 1;
        }

        Ed25519Signer? signer = null;
        if (keyFile is not null)
        {
            try
            {
                signer = Ed25519Signer.Load(keyFile);
            }
            catch (KeyFileException e)
            {
                await Console.Error.WriteLineAsync("sandrun: " + e.Message).ConfigureAwait(false);
                return 1;
            }
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. passThrough], ContentRootPath = AppContext.BaseDirectory });
        if (!urlsGiven)
        {
            builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}"));
        }

        builder.Services.PostConfigure<SandrunOptions>(o => o.Workers = o.Workers > 0 ? o.Workers : Environment.ProcessorCount);
        builder.Services.AddSandrun(builder.Configuration).UseLinuxSandbox();
        if (signer is not null)
        {
            builder.Services.AddSingleton<IResultSigner>(signer);
        }
        await using var app = builder.Build();
        var sandbox = app.Services.GetRequiredService<LinuxSandbox>();
        Console.WriteLine(sandbox.Capabilities);
        sandbox.EnsureReady();
        Console.WriteLine("sandbox ready: " + sandbox.Describe());

        app.UseWebSockets();
        app.MapSandrun();
        await app.StartAsync().ConfigureAwait(false);
        foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            Console.WriteLine($"listening on {address}");
        }

        var options = app.Services.GetRequiredService<IOptions<SandrunOptions>>().Value;
        Console.WriteLine(signer is null
            ? $"worker mode: anonymous (no worker key); {options.Workers} workers, queue capacity {options.QueueCapacity}"
            : $"worker mode: identified, Worker ID: {signer.WorkerId}; {options.Workers} workers, queue capacity {options.QueueCapacity}");
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }
}
