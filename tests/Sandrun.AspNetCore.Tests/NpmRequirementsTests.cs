using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sandrun.AspNetCore.Tests;

/// <summary>package.json installed offline from an npm cache (filled from a throwaway local registry) before the job.</summary>
public sealed class NpmRequirementsTests : IDisposable
{
    private readonly string cache = Directory.CreateTempSubdirectory("sandrun-npm-cache").FullName;

    public void Dispose() => Directory.Delete(cache, true);

    [Fact]
    public async Task Package_json_dependencies_are_installed_offline_and_node_modules_are_not_outputs()
    {
        var registry = await FillCacheAsync("tinynpm", "1.0.0", "module.exports = () => 42;\n");
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Requirements.NpmCache = cache;
            o.Requirements.NpmRegistry = registry;
        }, "/run/sandrun-http-npm");
        var files = new Dictionary<string, string>
        {
            ["index.js"] = "console.log(require('tinynpm')());\nrequire('fs').writeFileSync('answer.txt', 'ok');\n",
            ["package.json"] = """{"name":"job","version":"1.0.0","dependencies":{"tinynpm":"^1.0.0"}}""",
        };
        var id = await server.SubmitOkAsync(files, """{"entrypoint":"index.js","requirements":"package.json"}""");
        var status = await server.WaitForStatusAsync(id, "completed", "failed");
        var logs = await server.Client.GetStringAsync($"/logs/{id}?format=text");
        Assert.True(status.GetProperty("status").GetString() == "completed", logs);
        Assert.EndsWith("42\n", logs, StringComparison.Ordinal);
        Assert.Equal(["answer.txt"], status.GetProperty("output_files").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task With_network_allowed_npm_reaches_the_configured_registry_and_its_scripts_nothing_else()
    {
        var tarball = Package("tinynpm", "1.0.0", "module.exports = () => 42;\n");
        string? url = null;
        var requests = 0;
        var (app, baseUrl) = await LocalHttpServer.StartAsync(app =>
        {
            app.Use(async (context, next) =>
            {
                Interlocked.Increment(ref requests);
                await next(context);
            });
            MapRegistry(app, "tinynpm", "1.0.0", tarball, () => url!);
        });
        await using var registry = app;
        url = baseUrl + "/";
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Requirements.AllowNetwork = true;
            o.Requirements.NpmRegistry = url;
        }, "/run/sandrun-http-npm");
        using var probe = new EgressProbe(url, server);
        var files = new Dictionary<string, string>
        {
            ["index.js"] = "console.log(require('tinynpm')());\nconsole.log(require('fs').readFileSync('probe.txt', 'utf8'));\n",
            ["package.json"] = """{"name":"job","version":"1.0.0","scripts":{"preinstall":"python3 /workspace/probe.py"},"dependencies":{"tinynpm":"^1.0.0"}}""",
            ["probe.py"] = probe.Script,
        };
        var logs = await server.RunToCompletionAsync(files, """{"entrypoint":"index.js","requirements":"package.json"}""");
        Assert.True(requests > 0, "npm fetched from the registry");
        Assert.Contains("42\n", logs, StringComparison.Ordinal);
        probe.AssertConfined(logs);
    }

    /// <summary>Serves one package from a registry on 127.0.0.1, runs <c>npm cache add</c>, stops the registry; returns its URL.</summary>
    private async Task<string> FillCacheAsync(string name, string version, string code)
    {
        var tarball = Package(name, version, code);
        string? url = null;
        var (app, baseUrl) = await LocalHttpServer.StartAsync(app => MapRegistry(app, name, version, tarball, () => url!));
        await using var registry = app;
        url = baseUrl + "/";
        using (var npm = Process.Start(new ProcessStartInfo("npm", ["cache", "add", $"{name}@{version}", "--registry", url, "--cache", cache]) { RedirectStandardError = true })!)
        {
            var err = await npm.StandardError.ReadToEndAsync();
            await npm.WaitForExitAsync();
            Assert.True(npm.ExitCode == 0, err);
        }

        await registry.StopAsync();
        foreach (var path in Directory.EnumerateFileSystemEntries(cache, "*", SearchOption.AllDirectories).Append(cache))
        {
            File.SetUnixFileMode(path, Directory.Exists(path) ? (UnixFileMode)0x1ed : (UnixFileMode)0x1a4);
        }

        return url;
    }

    /// <summary>A one-package npm registry: the packument (tarball URL pointing back here) and the tarball.</summary>
    private static void MapRegistry(WebApplication app, string name, string version, byte[] tarball, Func<string> url)
    {
        app.MapGet($"/{name}", () => Results.Json(new Dictionary<string, object>
        {
            ["name"] = name,
            ["dist-tags"] = new Dictionary<string, string> { ["latest"] = version },
            ["versions"] = new Dictionary<string, object>
            {
                [version] = new Dictionary<string, object>
                {
                    ["name"] = name,
                    ["version"] = version,
                    ["main"] = "index.js",
                    ["dist"] = new Dictionary<string, string>
                    {
                        ["tarball"] = $"{url()}{name}/-/{name}-{version}.tgz",
                        ["shasum"] = Convert.ToHexStringLower(SHA1.HashData(tarball)),
                        ["integrity"] = "sha512-" + Convert.ToBase64String(SHA512.HashData(tarball)),
                    },
                },
            },
        }));
        app.MapGet($"/{name}/-/{name}-{version}.tgz", () => Results.Bytes(tarball, "application/octet-stream"));
    }

    /// <summary>An npm package tarball: package/package.json and package/index.js, gzipped.</summary>
    private static byte[] Package(string name, string version, string code)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (path, content) in new[] { ("package/package.json", $$"""{"name":"{{name}}","version":"{{version}}","main":"index.js"}"""), ("package/index.js", code) })
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = (UnixFileMode)0x1a4 });
            }
        }

        return output.ToArray();
    }
}
