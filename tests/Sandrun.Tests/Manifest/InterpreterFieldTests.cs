using static Sandrun.Tests.Manifest.ManifestTesting;

namespace Sandrun.Tests.Manifest;

/// <summary><c>interpreter</c>: one of the table, installed here; inferred from the entrypoint's extension when absent.</summary>
public sealed class InterpreterFieldTests
{
    [Theory]
    [InlineData("main.py", "python3")]
    [InlineData("app.js", "node")]
    [InlineData("app.mjs", "node")]
    [InlineData("run.sh", "bash")]
    [InlineData("main.rb", "ruby")]
    [InlineData("analysis.R", "Rscript")]
    [InlineData("tool.pl", "perl")]
    public void Absent_interpreter_follows_the_extension(string entrypoint, string interpreter)
    {
        var manifest = Parse($$"""{"entrypoint": "{{entrypoint}}"}""", Context(files: [entrypoint]));

        Assert.Equal(interpreter, manifest.Interpreter);
    }

    [Theory]
    [InlineData("python3")]
    [InlineData("node")]
    [InlineData("bash")]
    [InlineData("sh")]
    [InlineData("ruby")]
    [InlineData("Rscript")]
    [InlineData("perl")]
    public void Every_table_interpreter_can_be_named(string interpreter)
    {
        var manifest = Parse($$"""{"entrypoint": "job", "interpreter": "{{interpreter}}"}""", Context(files: ["job"]));

        Assert.Equal(interpreter, manifest.Interpreter);
    }

    [Fact]
    public void An_explicit_interpreter_overrides_the_extension()
    {
        var manifest = Parse("""{"entrypoint": "run.sh", "interpreter": "sh"}""", Context(files: ["run.sh"]));

        Assert.Equal("sh", manifest.Interpreter);
    }

    [Theory]
    [InlineData("python")]
    [InlineData("Python3")]
    [InlineData("python3.12")]
    [InlineData("/usr/bin/python3")]
    [InlineData("deno")]
    [InlineData("")]
    public void Unknown_interpreters_are_refused_listing_the_available_ones(string interpreter)
    {
        var error = AssertField("interpreter", $$"""{"interpreter": "{{interpreter}}"}""", Context(interpreters: ["python3", "bash"]));

        Assert.Contains("available: python3, bash", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_interpreter_that_is_not_installed_is_refused()
    {
        var error = AssertField("interpreter", """{"interpreter": "ruby"}""", Context(interpreters: ["node", "python3"]));

        Assert.Contains("not installed", error.Details, StringComparison.Ordinal);
        Assert.Contains("available: python3, node", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void An_inferred_interpreter_that_is_not_installed_is_refused()
    {
        var error = AssertField("interpreter", "{}", Context(files: ["main.R"], interpreters: ["python3"]));

        Assert.Contains("Rscript", error.Details, StringComparison.Ordinal);
        Assert.Contains("available: python3", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void No_installed_interpreter_is_said_plainly()
    {
        var error = AssertField("interpreter", "{}", Context(interpreters: []));

        Assert.Contains("no interpreter is installed", error.Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("job")]
    [InlineData("notes.txt")]
    [InlineData("Makefile")]
    public void An_entrypoint_without_a_known_extension_needs_an_interpreter(string entrypoint)
    {
        AssertField("interpreter", $$"""{"entrypoint": "{{entrypoint}}"}""", Context(files: [entrypoint]));
        Assert.Equal("bash", Parse($$"""{"entrypoint": "{{entrypoint}}", "interpreter": "bash"}""", Context(files: [entrypoint])).Interpreter);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("true")]
    [InlineData("[\"python3\"]")]
    [InlineData("{}")]
    public void Wrong_types_are_refused(string value)
    {
        AssertField("interpreter", $$"""{"interpreter": {{value}}}""");
    }
}
