using static Sandrun.Tests.Manifest.ManifestTesting;

namespace Sandrun.Tests.Manifest;

/// <summary><c>entrypoint</c>: relative, inside the upload, existing; auto-detected when absent.</summary>
public sealed class EntrypointTests
{
    [Theory]
    [InlineData("main.py", "main.py")]
    [InlineData("src/app.py", "src/app.py")]
    [InlineData("./main.py", "main.py")]
    [InlineData("src/./app.py", "src/app.py")]
    [InlineData("./src/app.py", "src/app.py")]
    public void An_uploaded_file_is_accepted_and_normalized(string entrypoint, string expected)
    {
        var manifest = Parse($$"""{"entrypoint": "{{entrypoint}}"}""", Context(files: ["main.py", "src/app.py"]));

        Assert.Equal(expected, manifest.Entrypoint);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"/main.py\"")]
    [InlineData("\"/work/main.py\"")]
    [InlineData("\"../main.py\"")]
    [InlineData("\"src/../main.py\"")]
    [InlineData("\"src/..\"")]
    [InlineData("\"src\\\\app.py\"")]
    [InlineData("\"main.py\\u0000\"")]
    [InlineData("\"src//app.py\"")]
    [InlineData("\"src/\"")]
    [InlineData("\".\"")]
    [InlineData("\"./\"")]
    [InlineData("\"missing.py\"")]
    [InlineData("\"src\"")]
    [InlineData("\"app.py\"")]
    [InlineData("5")]
    [InlineData("true")]
    [InlineData("[\"main.py\"]")]
    [InlineData("{\"path\": \"main.py\"}")]
    public void Invalid_or_missing_entrypoints_are_refused(string value)
    {
        AssertField("entrypoint", $$"""{"entrypoint": {{value}}}""", Context(files: ["main.py", "src/app.py"]));
    }

    [Fact]
    public void Overlong_entrypoint_is_refused()
    {
        AssertField("entrypoint", $$"""{"entrypoint": "{{new string('a', 4097)}}"}""");
    }

    [Fact]
    public void A_case_mismatch_gets_a_hint()
    {
        var error = AssertField("entrypoint", """{"entrypoint": "main.py"}""", Context(files: ["Main.py"]));

        Assert.Contains("did you mean 'Main.py'", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_type_names_the_expected_type()
    {
        var error = AssertField("entrypoint", """{"entrypoint": 5}""");

        Assert.Equal("must be a string (got 5)", error.Details);
    }

    [Theory]
    [InlineData(new[] { "main.py", "index.js", "run.sh", "main.rb", "main.R" }, "main.py", "python3")]
    [InlineData(new[] { "index.js", "run.sh", "main.rb", "main.R" }, "index.js", "node")]
    [InlineData(new[] { "run.sh", "main.rb", "main.R" }, "run.sh", "bash")]
    [InlineData(new[] { "main.rb", "main.R" }, "main.rb", "ruby")]
    [InlineData(new[] { "main.R" }, "main.R", "Rscript")]
    [InlineData(new[] { "main.R", "data.csv", "index.js" }, "index.js", "node")]
    public void Auto_detection_takes_the_first_candidate_in_spec_order(string[] files, string entrypoint, string interpreter)
    {
        var manifest = Parse("{}", Context(files: files));

        Assert.Equal(entrypoint, manifest.Entrypoint);
        Assert.Equal(interpreter, manifest.Interpreter);
    }

    [Theory]
    [InlineData("src/main.py lib/index.js")]
    [InlineData("Main.py app.py main.r")]
    [InlineData("")]
    public void Auto_detection_only_looks_at_exact_top_level_names(string files)
    {
        var error = AssertField("entrypoint", "{}", Context(files: files.Split(' ', StringSplitOptions.RemoveEmptyEntries)));

        Assert.Contains("main.py, index.js, run.sh, main.rb, main.R", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_detection_also_applies_without_a_manifest()
    {
        AssertField("entrypoint", null, Context(files: ["app.py"]));
    }
}
