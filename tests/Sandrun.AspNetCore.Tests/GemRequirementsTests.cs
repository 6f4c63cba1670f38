using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sandrun.AspNetCore.Tests;

/// <summary>A Gemfile installed by bundler from a directory of .gem files, offline, before the job.</summary>
public sealed class GemRequirementsTests : IDisposable
{
    private readonly string work = Directory.CreateTempSubdirectory("sandrun-gems").FullName;

    private string Mirror => Path.Combine(work, "mirror");

    public void Dispose() => Directory.Delete(work, true);

    [Fact]
    public async Task Gemfile_dependencies_are_installed_from_the_gem_mirror()
    {
        await BuildGemAsync("tinygem", "1.0.0", "module Tinygem\n  def self.answer = 42\nend\n");
        await using var server = await TestServer.StartAsync(o => o.Requirements.GemCache = Mirror, "/run/sandrun-http-gems");
        var files = new Dictionary<string, string>
        {
            ["main.rb"] = "require 'tinygem'\nputs Tinygem.answer\nFile.write('answer.txt', 'ok')\n",
            ["Gemfile"] = "source 'https://rubygems.org'\ngem 'tinygem', '~> 1.0'\n",
        };
        var id = await server.SubmitOkAsync(files, """{"entrypoint":"main.rb","requirements":"Gemfile"}""");
        var status = await server.WaitForStatusAsync(id, "completed", "failed");
        var logs = await server.Client.GetStringAsync($"/logs/{id}?format=text");
        Assert.True(status.GetProperty("status").GetString() == "completed", logs);
        Assert.EndsWith("42\n", logs, StringComparison.Ordinal);
        Assert.Equal(["answer.txt"], status.GetProperty("output_files").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task With_network_allowed_bundler_reaches_the_configured_gem_source_and_the_gemfile_nothing_else()
    {
        await BuildGemAsync("tinygem", "1.0.0", "module Tinygem\n  def self.answer = 42\nend\n");
        var gem = await File.ReadAllBytesAsync(Path.Combine(Mirror, "tinygem-1.0.0.gem"));
        var requests = 0;
        var (app, url) = await LocalHttpServer.StartAsync(app =>
        {
            app.Use(async (context, next) =>
            {
                Interlocked.Increment(ref requests);
                await next(context);
            });
            MapCompactIndex(app, "tinygem", "1.0.0", gem);
        });
        await using var source = app;
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Requirements.AllowNetwork = true;
            o.Requirements.GemSource = url + "/";
        }, "/run/sandrun-http-gems");
        using var probe = new EgressProbe(url, server);

        // The Gemfile names rubygems.org: bundler is pointed at the configured source whatever it names.
        var files = new Dictionary<string, string>
        {
            ["main.rb"] = "require 'tinygem'\nputs Tinygem.answer\nputs File.read('probe.txt')\n",
            ["Gemfile"] = "system('python3', '/workspace/probe.py', exception: true) if ENV['HTTP_PROXY']\nsource 'https://rubygems.org'\ngem 'tinygem', '~> 1.0'\n",
            ["probe.py"] = probe.Script,
        };
        var logs = await server.RunToCompletionAsync(files, """{"entrypoint":"main.rb","requirements":"Gemfile"}""");
        Assert.True(requests > 0, "bundler fetched from the gem source");
        Assert.Contains("42\n", logs, StringComparison.Ordinal);
        probe.AssertConfined(logs);
    }

    /// <summary>A one-gem source speaking bundler's compact index: /versions, /info/NAME and the .gem itself.</summary>
    private static void MapCompactIndex(WebApplication app, string name, string version, byte[] gem)
    {
        var info = $"---\n{version} |checksum:{Convert.ToHexStringLower(SHA256.HashData(gem))}\n";
        var versions = $"created_at: 2024-01-01T00:00:00Z\n---\n{name} {version} {Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(info)))}\n";
        app.MapGet("/versions", () => Results.Text(versions));
        app.MapGet($"/info/{name}", () => Results.Text(info));
        app.MapGet($"/gems/{name}-{version}.gem", () => Results.Bytes(gem, "application/octet-stream"));
    }

    private async Task BuildGemAsync(string name, string version, string code)
    {
        var source = Path.Combine(work, "src");
        Directory.CreateDirectory(Path.Combine(source, "lib"));
        Directory.CreateDirectory(Mirror);
        await File.WriteAllTextAsync(Path.Combine(source, "lib", name + ".rb"), code);
        await File.WriteAllTextAsync(Path.Combine(source, name + ".gemspec"),
            $"Gem::Specification.new do |s|\n  s.name = '{name}'\n  s.version = '{version}'\n  s.summary = 'test gem'\n  s.authors = ['sandrun']\n  s.license = 'MIT'\n  s.files = ['lib/{name}.rb']\nend\n");
        using var gem = Process.Start(new ProcessStartInfo("gem", ["build", name + ".gemspec", "-o", Path.Combine(Mirror, $"{name}-{version}.gem")])
        {
            WorkingDirectory = source,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var err = await gem.StandardError.ReadToEndAsync();
        await gem.StandardOutput.ReadToEndAsync();
        await gem.WaitForExitAsync();
        Assert.True(gem.ExitCode == 0, err);
        foreach (var path in Directory.EnumerateFileSystemEntries(work, "*", SearchOption.AllDirectories).Append(work))
        {
            File.SetUnixFileMode(path, Directory.Exists(path) ? (UnixFileMode)0x1ed : (UnixFileMode)0x1a4);
        }
    }
}
