using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace Sandrun.AspNetCore.Tests;

/// <summary>
/// The pre-built environments (SPEC §10): the sample server's <c>environments build</c> makes a template from
/// Debian's packages, the server lists it with its packages, and a job using it gets pandas, numpy and matplotlib.
/// </summary>
[Collection("environments")]
public sealed class EnvironmentTemplateTests(DataScienceTemplate template)
{
    [Fact]
    public async Task A_job_using_data_science_imports_pandas_and_numpy_and_returns_a_matplotlib_plot()
    {
        await using var server = await TestServer.StartAsync(o => o.Environments["data-science"] = template.Directory);
        const string script = """
            import numpy as np, pandas as pd, matplotlib
            import matplotlib.pyplot as plt
            frame = pd.DataFrame({"x": np.arange(10), "y": np.arange(10) ** 2})
            frame.plot(x="x", y="y")
            plt.savefig("plot.png")
            print("backend", matplotlib.get_backend(), "rows", len(frame), "sum", int(frame.y.sum()))
            """;
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = script },
            """{"entrypoint": "main.py", "environment": "data-science", "memory_mb": 512, "timeout": 60, "cpu_seconds": 60, "outputs": ["plot.png"]}""");
        var status = await server.WaitForStatusAsync(id, "completed", "failed");
        var logs = await server.Client.GetStringAsync($"/logs/{id}?format=text");
        Assert.True(status.GetProperty("status").GetString() == "completed", $"{status}\n{logs}");
        Assert.Contains("backend agg rows 10 sum 285", logs, StringComparison.OrdinalIgnoreCase);

        var plot = status.GetProperty("output_files").GetProperty("plot.png");
        var png = await server.Client.GetByteArrayAsync($"/download/{id}/plot.png");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Equal(plot.GetProperty("sha256_hash").GetString(), Convert.ToHexStringLower(SHA256.HashData(png)));
    }

    [Fact]
    public async Task The_environments_endpoint_lists_the_templates_packages_and_versions()
    {
        await using var server = await TestServer.StartAsync(o => o.Environments["data-science"] = template.Directory);
        var body = await server.Client.GetFromJsonAsync<JsonElement>("/environments");
        var listed = body.GetProperty("environments").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "data-science");
        Assert.Equal("/opt/sandrun/environments/data-science", listed.GetProperty("mount_path").GetString());
        Assert.Contains("pandas", listed.GetProperty("description").GetString(), StringComparison.Ordinal);
        var packages = listed.GetProperty("packages").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!.ToLowerInvariant(), p => p.GetProperty("version").GetString());
        foreach (var name in new[] { "pandas", "numpy", "matplotlib", "scipy", "seaborn", "statsmodels", "scikit-learn" })
        {
            Assert.True(packages.TryGetValue(name, out var version) && Version.TryParse(version!.Split('+')[0], out _), $"{name}: {version}");
        }
    }

    [Fact]
    public async Task A_template_is_built_from_a_directory_of_wheels_and_its_modules_are_checked_in_the_sandbox()
    {
        var work = System.IO.Directory.CreateTempSubdirectory("sandrun-wheels-").FullName;
        try
        {
            var (refused, _, why) = await DataScienceTemplate.ServerAsync("environments", "build", "data-science", "--wheels", work, "--output", Path.Combine(work, "t"));
            Assert.Equal(1, refused);
            Assert.Contains($"{work} is not searchable by others (mode 700)", why, StringComparison.Ordinal);
            File.SetUnixFileMode(work, (UnixFileMode)0x1ed);
            var wheels = System.IO.Directory.CreateDirectory(Path.Combine(work, "wheels")).FullName;
            Wheel(wheels, "sandrunprobe", "1.2.3", "ANSWER = 42\n");
            var definition = Path.Combine(work, "probe.json");
            await File.WriteAllTextAsync(definition, """
                {"name": "probe", "description": "a test template", "debian": [], "pip": ["sandrunprobe==1.2.3"], "imports": ["sandrunprobe"], "variables": {"PROBE_HOME": "{template}"}}
                """);
            var output = Path.Combine(work, "probe");
            var (exit, stdout, stderr) = await DataScienceTemplate.ServerAsync("environments", "build", "--definition", definition, "--wheels", wheels, "--output", output);
            Assert.True(exit == 0, stdout + stderr);

            await using var server = await TestServer.StartAsync(o => o.Environments["probe"] = output);
            var logs = await server.RunToCompletionAsync(new Dictionary<string, string> { ["main.py"] = "import os, sandrunprobe\nprint(sandrunprobe.ANSWER, os.environ['PROBE_HOME'], sandrunprobe.__file__)" },
                """{"entrypoint": "main.py", "environment": "probe"}""");
            Assert.Equal("42 /opt/sandrun/environments/probe /opt/sandrun/environments/probe/python/sandrunprobe.py\n", logs);
            var listed = (await server.Client.GetFromJsonAsync<JsonElement>("/environments")).GetProperty("environments")[0];
            Assert.Equal("sandrunprobe 1.2.3", string.Join(",", listed.GetProperty("packages").EnumerateArray().Select(p => $"{p.GetProperty("name").GetString()} {p.GetProperty("version").GetString()}")));
        }
        finally
        {
            System.IO.Directory.Delete(work, true);
        }
    }

    [Theory]
    [InlineData("nosuch --from-debian", "unknown environment 'nosuch'")]
    [InlineData("data-science", "exactly one of --from-debian and --wheels DIR")]
    [InlineData("data-science --from-debian --wheels /tmp", "exactly one of --from-debian and --wheels DIR")]
    [InlineData("--definition /nonexistent.json --from-debian", "/nonexistent.json")]
    public async Task Bad_build_arguments_exit_2_naming_the_problem(string arguments, string expected)
    {
        var (exit, _, stderr) = await DataScienceTemplate.ServerAsync(["environments", "build", .. arguments.Split(' ')]);
        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_definition_with_a_bad_field_exits_2_naming_the_field()
    {
        var definition = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(definition, """{"name": "x", "description": "", "debian": ["bad name; rm -rf /"], "pip": [], "imports": [], "variables": {}}""");
            var (exit, _, stderr) = await DataScienceTemplate.ServerAsync("environments", "build", "--definition", definition, "--from-debian");
            Assert.Equal(2, exit);
            Assert.Contains("debian: 'bad name; rm -rf /' is not a valid value", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(definition);
        }
    }

    /// <summary>A minimal pure-Python wheel, as pip builds them: the module, METADATA, WHEEL and RECORD.</summary>
    private static void Wheel(string directory, string name, string version, string module)
    {
        using var zip = ZipFile.Open(Path.Combine(directory, $"{name}-{version}-py3-none-any.whl"), ZipArchiveMode.Create);
        var info = $"{name}-{version}.dist-info";
        var files = new Dictionary<string, string>
        {
            [$"{name}.py"] = module,
            [$"{info}/METADATA"] = $"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
            [$"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: sandrun-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        };
        var record = new List<string>();
        foreach (var (path, content) in files)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(content);
            using (var stream = zip.CreateEntry(path).Open())
            {
                stream.Write(bytes);
            }

            record.Add($"{path},sha256={Convert.ToBase64String(SHA256.HashData(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_')},{bytes.Length}");
        }

        record.Add($"{info}/RECORD,,");
        using var recordStream = zip.CreateEntry($"{info}/RECORD").Open();
        recordStream.Write(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', record) + "\n"));
    }
}

/// <summary>
/// Builds the shipped data-science template once per definition (Debian downloads take a while), with the
/// sample server's real command, into a cache directory reused by later runs while the definition is unchanged.
/// </summary>
public sealed class DataScienceTemplate : IAsyncLifetime
{
    public string Directory { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var definition = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "environments", "data-science.json"));
        var key = Convert.ToHexStringLower(SHA256.HashData(definition))[..16];
        Directory = Path.Combine("/var/cache/sandrun-tests/environments", "data-science-" + key);
        if (File.Exists(Path.Combine(Directory, "sandrun-environment.json")))
        {
            return;
        }

        var (exit, stdout, stderr) = await ServerAsync("environments", "build", "data-science", "--from-debian", "--output", Directory);
        Assert.True(exit == 0, $"building data-science failed ({exit}):\n{stdout}\n{stderr}");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Runs the sample server's command line and returns its exit code and output.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> ServerAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}

[CollectionDefinition("environments")]
public sealed class EnvironmentsCollection : ICollectionFixture<DataScienceTemplate>;
