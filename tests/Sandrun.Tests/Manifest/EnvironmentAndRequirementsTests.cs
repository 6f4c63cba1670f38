using static Sandrun.Tests.Manifest.ManifestTesting;

namespace Sandrun.Tests.Manifest;

/// <summary><c>environment</c> (a configured template) and <c>requirements</c> (an uploaded dependency file).</summary>
public sealed class EnvironmentAndRequirementsTests
{
    [Fact]
    public void A_configured_environment_is_accepted()
    {
        Assert.Equal("node-web", Parse("""{"environment": "node-web"}""").Environment);
    }

    [Theory]
    [InlineData("gpu-ml")]
    [InlineData("Python-Data")]
    [InlineData("")]
    public void Unknown_environments_are_refused_listing_the_available_ones(string name)
    {
        var error = AssertField("environment", $$"""{"environment": "{{name}}"}""");

        Assert.Contains("available: node-web, python-data", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_templates_the_error_says_there_are_none()
    {
        var error = AssertField("environment", """{"environment": "python-data"}""", Context(environments: []));

        Assert.Contains("no environment templates", error.Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("[\"python-data\"]")]
    [InlineData("{\"name\": \"python-data\"}")]
    public void Environment_must_be_a_string(string value)
    {
        AssertField("environment", $$"""{"environment": {{value}}}""");
    }

    [Theory]
    [InlineData("requirements.txt")]
    [InlineData("package.json")]
    [InlineData("Gemfile")]
    public void Each_dependency_file_is_accepted_when_uploaded(string file)
    {
        var manifest = Parse($$"""{"requirements": "{{file}}"}""", Context(files: ["main.py", file]));

        Assert.Equal(file, manifest.Requirements);
    }

    [Theory]
    [InlineData("requirements.txt")]
    [InlineData("Gemfile")]
    public void A_dependency_file_that_was_not_uploaded_is_refused(string file)
    {
        var error = AssertField("requirements", $$"""{"requirements": "{{file}}"}""", Context(files: ["main.py", "sub/" + file]));

        Assert.Contains("not uploaded", error.Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"reqs.txt\"")]
    [InlineData("\"sub/requirements.txt\"")]
    [InlineData("\"./requirements.txt\"")]
    [InlineData("\"gemfile\"")]
    [InlineData("\"Pipfile\"")]
    [InlineData("\"\"")]
    [InlineData("[\"requirements.txt\"]")]
    [InlineData("true")]
    public void Other_names_and_types_are_refused(string value)
    {
        AssertField("requirements", $$"""{"requirements": {{value}}}""", Context(files: ["main.py", "reqs.txt", "sub/requirements.txt", "gemfile", "Pipfile"]));
    }
}
