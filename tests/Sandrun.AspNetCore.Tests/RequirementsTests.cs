using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sandrun.AspNetCore.Tests;

/// <summary>requirements.txt installed from an offline mirror, in its own sandboxed step, before the job.</summary>
public sealed class RequirementsTests : IDisposable
{
    private readonly string mirror = Directory.CreateTempSubdirectory("sandrun-pip-mirror").FullName;

    public RequirementsTests()
    {
        File.SetUnixFileMode(mirror, (UnixFileMode)0x1ed);
        var wheel = Path.Combine(mirror, "tinypkg-1.0.0-py3-none-any.whl");
        File.WriteAllBytes(wheel, Wheel("tinypkg", "1.0.0", "def answer():\n    return 42\n"));
        File.SetUnixFileMode(wheel, (UnixFileMode)0x1a4);
    }

    public void Dispose() => Directory.Delete(mirror, true);

    [Fact]
    public async Task Requirements_are_installed_from_the_mirror_before_the_job_and_are_not_outputs()
    {
        await using var server = await TestServer.StartAsync(o => o.Requirements.PipFindLinks = mirror, "/run/sandrun-http-reqs");
        var files = new Dictionary<string, string>
        {
            ["main.py"] = "import tinypkg\nprint(tinypkg.answer())\nopen('result.txt', 'w').write('ok')\n",
            ["requirements.txt"] = "tinypkg==1.0.0\n",
        };
        var id = await server.SubmitOkAsync(files, """{"entrypoint":"main.py","requirements":"requirements.txt"}""");
        var status = await server.WaitForStatusAsync(id, "completed", "failed");
        var logs = await server.Client.GetStringAsync($"/logs/{id}?format=text");
        Assert.True(status.GetProperty("status").GetString() == "completed", logs);
        Assert.Contains("[sandrun] installing requirements.txt", logs, StringComparison.Ordinal);
        Assert.EndsWith("42\n", logs, StringComparison.Ordinal);
        Assert.Equal(["result.txt"], status.GetProperty("output_files").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task A_requirement_missing_from_the_mirror_fails_the_job_before_it_runs()
    {
        await using var server = await TestServer.StartAsync(o => o.Requirements.PipFindLinks = mirror, "/run/sandrun-http-reqs");
        var files = new Dictionary<string, string>
        {
            ["main.py"] = "open('ran.txt', 'w').write('should not run')\n",
            ["requirements.txt"] = "numpy==99.0\n",
        };
        var id = await server.SubmitOkAsync(files, """{"entrypoint":"main.py","requirements":"requirements.txt"}""");
        var status = await server.WaitForStatusAsync(id, "completed", "failed");
        Assert.Equal("failed", status.GetProperty("status").GetString());
        Assert.Equal("exit_code", status.GetProperty("failure_reason").GetString());
        var logs = await server.Client.GetStringAsync($"/logs/{id}?format=text");
        Assert.Contains("No matching distribution found for numpy==99.0", logs, StringComparison.Ordinal);
        Assert.Contains("the job did not run", logs, StringComparison.Ordinal);
        Assert.Empty(status.GetProperty("output_files").EnumerateObject());
    }

    [Theory]
    [InlineData(null, "requirements.txt", "no Python package mirror")]
    [InlineData("mirror", "package.json", "no npm package cache")]
    [InlineData("mirror", "Gemfile", "no gem cache is configured")]
    public async Task Requirements_that_cannot_be_installed_here_are_refused_up_front(string? configured, string requirements, string expected)
    {
        await using var server = await TestServer.StartAsync(o => o.Requirements.PipFindLinks = configured is null ? null : mirror, "/run/sandrun-http-reqs");
        var files = new Dictionary<string, string> { ["main.py"] = "print(1)\n", [requirements] = "{}" };
        using var response = await server.SubmitAsync(files, $$"""{"entrypoint":"main.py","requirements":"{{requirements}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_network_allowed_the_install_step_reaches_the_configured_index_and_nothing_else()
    {
        var (index, url) = await StartIndexAsync();
        await using var indexServer = index;
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Requirements.AllowNetwork = true;
            o.Requirements.PipIndexUrl = url + "/simple/";
        }, "/run/sandrun-http-reqs");
        using var probe = new EgressProbe(url, server);

        // A local project whose in-tree build backend (what setup.py is for setuptools) runs the probe while pip builds it.
        var files = new Dictionary<string, string>
        {
            ["main.py"] = $"import socket, tinypkg, probepkg\nprint(tinypkg.answer())\ns = socket.socket()\ns.settimeout(2)\nprint('job network:', s.connect_ex(('127.0.0.1', {new Uri(url).Port})))\nprint(open('probe.txt').read())\n",
            ["requirements.txt"] = "tinypkg==1.0.0\n/workspace/probepkg\n",
            ["probepkg/pyproject.toml"] = "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n",
            ["probepkg/backend.py"] = ProbeBackend,
            ["probe.py"] = probe.Script,
        };
        var logs = await server.RunToCompletionAsync(files, """{"entrypoint":"main.py","requirements":"requirements.txt"}""");
        Assert.True(indexRequests > 0, "the install step fetched from the index");
        Assert.Contains("42\njob network: 101\n", logs, StringComparison.Ordinal);
        probe.AssertConfined(logs);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_uploaded_pip_package_does_not_shadow_the_installer(bool networked)
    {
        var (index, url) = await StartIndexAsync();
        await using var indexServer = index;
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Requirements.AllowNetwork = networked;
            o.Requirements.PipIndexUrl = url + "/simple/";
            o.Requirements.PipFindLinks = networked ? null : mirror;
        }, "/run/sandrun-http-reqs");
        var files = new Dictionary<string, string>
        {
            ["main.py"] = "import os, tinypkg\nprint(tinypkg.answer(), os.path.exists('shadowed.txt'))\n",
            ["requirements.txt"] = "tinypkg==1.0.0\n",
            ["pip/__init__.py"] = "open('/workspace/shadowed.txt', 'w').write('an uploaded pip ran')\n",
            ["pip/__main__.py"] = "import pip\n",
        };

        // PYTHONPATH is the job's own: the installer never sees it.
        var logs = await server.RunToCompletionAsync(files, """{"entrypoint":"main.py","requirements":"requirements.txt","env":{"PYTHONPATH":"/workspace"}}""");
        Assert.EndsWith("42 False\n", logs, StringComparison.Ordinal);
    }

    /// <summary>An in-tree PEP 517 backend that starts /workspace/probe.py, then builds a minimal wheel.</summary>
    private const string ProbeBackend = """
        import os, subprocess, zipfile
        def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
            subprocess.run(['python3', '/workspace/probe.py'], check=True)
            name = 'probepkg-1.0-py3-none-any.whl'
            files = {'probepkg/__init__.py': '', 'probepkg-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: probepkg\nVersion: 1.0\n',
                     'probepkg-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\nGenerator: probe\nRoot-Is-Purelib: true\nTag: py3-none-any\n'}
            with zipfile.ZipFile(os.path.join(wheel_directory, name), 'w') as z:
                for path, text in files.items():
                    z.writestr(path, text)
                z.writestr('probepkg-1.0.dist-info/RECORD', ''.join(p + ',,\n' for p in [*files, 'probepkg-1.0.dist-info/RECORD']))
            return name
        """;

    private int indexRequests;

    /// <summary>A PEP 503 package index on 127.0.0.1 serving tinypkg and counting its requests.</summary>
    private async Task<(Microsoft.AspNetCore.Builder.WebApplication App, string Url)> StartIndexAsync()
    {
        var wheel = Wheel("tinypkg", "1.0.0", "def answer():\n    return 42\n");
        var sha = Convert.ToHexStringLower(SHA256.HashData(wheel));
        return await LocalHttpServer.StartAsync(app =>
        {
            app.MapGet("/simple/tinypkg/", () =>
            {
                Interlocked.Increment(ref indexRequests);
                return Results.Content($"<a href=\"/files/tinypkg-1.0.0-py3-none-any.whl#sha256={sha}\">tinypkg-1.0.0-py3-none-any.whl</a>", "text/html");
            });
            app.MapGet("/files/tinypkg-1.0.0-py3-none-any.whl", () => Results.Bytes(wheel, "application/octet-stream"));
        });
    }

    /// <summary>A minimal pure-Python wheel (PEP 427): the module, METADATA, WHEEL and a RECORD with hashes.</summary>
    private static byte[] Wheel(string name, string version, string code)
    {
        var distInfo = $"{name}-{version}.dist-info";
        var files = new Dictionary<string, byte[]>
        {
            [$"{name}/__init__.py"] = Encoding.UTF8.GetBytes(code),
            [$"{distInfo}/METADATA"] = Encoding.UTF8.GetBytes($"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
            [$"{distInfo}/WHEEL"] = Encoding.UTF8.GetBytes("Wheel-Version: 1.0\nGenerator: sandrun-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
        };
        var record = new StringBuilder();
        foreach (var (path, data) in files)
        {
            var hash = Convert.ToBase64String(SHA256.HashData(data)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            record.Append(System.Globalization.CultureInfo.InvariantCulture, $"{path},sha256={hash},{data.Length}\n");
        }

        record.Append(System.Globalization.CultureInfo.InvariantCulture, $"{distInfo}/RECORD,,\n");
        files[$"{distInfo}/RECORD"] = Encoding.UTF8.GetBytes(record.ToString());
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, data) in files)
            {
                using var entry = zip.CreateEntry(path).Open();
                entry.Write(data);
            }
        }

        return output.ToArray();
    }
}
