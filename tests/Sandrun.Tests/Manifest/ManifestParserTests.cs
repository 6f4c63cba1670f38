using Sandrun.Manifest;
using static Sandrun.Tests.Manifest.ManifestTesting;

namespace Sandrun.Tests.Manifest;

/// <summary>The manifest as a whole: JSON syntax, top-level shape, unknown and duplicate fields, defaults.</summary>
public sealed class ManifestParserTests
{
    [Fact]
    public void No_manifest_means_every_default()
    {
        var manifest = Parse(null);

        Assert.Equal("main.py", manifest.Entrypoint);
        Assert.Equal("python3", manifest.Interpreter);
        Assert.Empty(manifest.Args);
        Assert.Empty(manifest.Env);
        Assert.Empty(manifest.Outputs);
        Assert.Null(manifest.Environment);
        Assert.Null(manifest.Requirements);
        Assert.Equal(300, manifest.TimeoutSeconds);
        Assert.Equal(512, manifest.MemoryMb);
        Assert.Equal(10, manifest.CpuSeconds);
        Assert.Null(manifest.Gpu);
    }

    [Fact]
    public void Empty_object_means_every_default()
    {
        Assert.Equivalent(Parse(null), Parse("{}"));
    }

    [Fact]
    public void Defaults_come_from_the_configured_limits()
    {
        var limits = new LimitOptions { DefaultTimeoutSeconds = 42, DefaultMemoryMb = 100, DefaultCpuSeconds = 7 };

        var manifest = Parse("{}", Context(limits: limits));

        Assert.Equal(42, manifest.TimeoutSeconds);
        Assert.Equal(100, manifest.MemoryMb);
        Assert.Equal(7, manifest.CpuSeconds);
    }

    [Fact]
    public void Null_fields_mean_their_default()
    {
        var manifest = Parse("""
            {"entrypoint": null, "interpreter": null, "args": null, "env": null, "outputs": null, "environment": null,
             "requirements": null, "timeout": null, "memory_mb": null, "cpu_seconds": null, "gpu": null}
            """);

        Assert.Equivalent(Parse(null), manifest);
    }

    [Fact]
    public void A_full_manifest_is_read_field_by_field()
    {
        var context = Context(files: ["src/app.py", "requirements.txt", "data.csv"]);

        var manifest = Parse("""
            {
              "entrypoint": "src/app.py", "interpreter": "python3", "args": ["--n", "3"], "env": {"MODE": "fast"},
              "outputs": ["out/", "*.png"], "environment": "python-data", "requirements": "requirements.txt",
              "timeout": 60, "memory_mb": 256, "cpu_seconds": 30,
              "gpu": {"required": false, "device_id": 0, "min_vram_gb": 8, "cuda_version": "12.2", "compute_capability": "8.6"}
            }
            """, context);

        Assert.Equal("src/app.py", manifest.Entrypoint);
        Assert.Equal("python3", manifest.Interpreter);
        Assert.Equal(["--n", "3"], manifest.Args);
        Assert.Equal("fast", Assert.Single(manifest.Env, e => e.Key == "MODE").Value);
        Assert.Equal(["out/", "*.png"], manifest.Outputs);
        Assert.Equal("python-data", manifest.Environment);
        Assert.Equal("requirements.txt", manifest.Requirements);
        Assert.Equal(60, manifest.TimeoutSeconds);
        Assert.Equal(256, manifest.MemoryMb);
        Assert.Equal(30, manifest.CpuSeconds);
        Assert.Equal(new GpuRequest(false, 0, 8, "12.2", "8.6"), manifest.Gpu);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("{'timeout': 5}")]
    [InlineData("{\"timeout\": 5,}")]
    [InlineData("/* comment */ {}")]
    [InlineData("{} {}")]
    [InlineData("{\"timeout\": 05}")]
    [InlineData("{\"timeout\": NaN}")]
    [InlineData("{timeout: 5}")]
    public void Invalid_json_is_refused_as_manifest(string json)
    {
        AssertField("manifest", json);
    }

    [Fact]
    public void Invalid_json_error_gives_a_one_based_position()
    {
        var error = AssertField("manifest", "{\n  \"timeout\": 5,\n  oops\n}");

        Assert.Contains("line 3", error.Details, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error.Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[{\"timeout\": 5}]")]
    [InlineData("5")]
    [InlineData("\"main.py\"")]
    [InlineData("true")]
    [InlineData("null")]
    public void The_manifest_must_be_an_object(string json)
    {
        var error = AssertField("manifest", json);

        Assert.Contains("must be a JSON object", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void A_manifest_larger_than_a_mebibyte_is_refused()
    {
        var json = "{\"args\": [\"" + new string('a', ManifestParser.MaxManifestChars) + "\"]}";

        AssertField("manifest", json);
    }

    [Theory]
    [InlineData("timeot", "timeout")]
    [InlineData("Timeout", "timeout")]
    [InlineData("memory", "memory_mb")]
    [InlineData("entry_point", "entrypoint")]
    [InlineData("output", "outputs")]
    [InlineData("cpu_second", "cpu_seconds")]
    [InlineData("env_vars", "env")]
    [InlineData("gpus", "gpu")]
    public void Unknown_fields_are_refused_with_a_suggestion(string typo, string meant)
    {
        var error = AssertField(typo, $$"""{"{{typo}}": 1}""");

        Assert.Contains($"did you mean '{meant}'", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_fields_without_a_close_match_list_the_known_ones()
    {
        var error = AssertField("priority", """{"priority": "high"}""");

        Assert.DoesNotContain("did you mean", error.Details, StringComparison.Ordinal);
        Assert.Contains("entrypoint, interpreter, args, env, outputs, environment, requirements, timeout, memory_mb, cpu_seconds, gpu", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_fields_are_refused_even_when_null()
    {
        AssertField("stdout", """{"stdout": null}""");
    }

    [Theory]
    [InlineData("""{"timeout": 5, "timeout": 6}""", "timeout")]
    [InlineData("""{"timeout": 5, "time\u006fut": 5}""", "timeout")]
    [InlineData("""{"args": [], "args": null}""", "args")]
    [InlineData("""{"env": {"A": "1", "A": "2"}}""", "env.A")]
    [InlineData("""{"gpu": {"required": false, "required": true}}""", "gpu.required")]
    public void Duplicate_keys_are_refused(string json, string field)
    {
        var error = AssertField(field, json);

        Assert.Contains("more than once", error.Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"\ud800": 1}""", "manifest")]
    [InlineData("""{"env": {"A\udc00": "x"}}""", "env")]
    [InlineData("""{"gpu": {"\ud800required": true}}""", "gpu")]
    public void Field_names_must_be_valid_unicode(string json, string field)
    {
        AssertField(field, json);
    }

    [Fact]
    public void Text_that_is_not_valid_UTF16_is_refused_as_manifest()
    {
        AssertField("manifest", "{\"args\": [\"\ud800\"]}");
    }

    [Fact]
    public void The_exception_message_is_field_and_details()
    {
        var error = AssertField("timeout", """{"timeout": 0}""");

        Assert.Equal("timeout: " + error.Details, error.Message);
    }

    [Fact]
    public void Long_values_are_shortened_in_error_details()
    {
        var error = AssertField("environment", $$"""{"environment": "{{new string('x', 5000)}}"}""");

        Assert.True(error.Details.Length < 300, error.Details);
    }
}
