using Sandrun.Manifest;
using static Sandrun.Tests.Manifest.ManifestTesting;

namespace Sandrun.Tests.Manifest;

/// <summary><c>outputs</c>: an array of at most 100 valid glob patterns, kept normalized.</summary>
public sealed class OutputsFieldTests
{
    [Fact]
    public void Patterns_are_kept_normalized()
    {
        var manifest = Parse("""{"outputs": ["*.csv", "out/", "./results/**", "a/./b?.txt", "**"]}""");

        Assert.Equal(["*.csv", "out/", "results/**", "a/b?.txt", "**"], manifest.Outputs);
    }

    [Fact]
    public void Kept_patterns_parse_again_to_themselves()
    {
        foreach (var pattern in Parse("""{"outputs": ["./x/*.csv", "out/", "a/**/b"]}""").Outputs)
        {
            Assert.Equal(pattern, OutputGlob.Parse(pattern).Pattern);
        }
    }

    [Fact]
    public void An_empty_list_means_the_default()
    {
        Assert.Empty(Parse("""{"outputs": []}""").Outputs);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"/tmp/out.csv\"")]
    [InlineData("\"/\"")]
    [InlineData("\"../secret\"")]
    [InlineData("\"out/../../x\"")]
    [InlineData("\"out\\\\*.csv\"")]
    [InlineData("\"a\\u0000b\"")]
    [InlineData("\"out//x\"")]
    [InlineData("\"out//\"")]
    [InlineData("\".\"")]
    [InlineData("\"./\"")]
    [InlineData("\"[ab].csv\"")]
    [InlineData("\"*.{csv,json}\"")]
    [InlineData("\"a**\"")]
    [InlineData("\"**.csv\"")]
    [InlineData("\"x/***/y\"")]
    [InlineData("5")]
    [InlineData("null")]
    [InlineData("[\"*.csv\"]")]
    public void Invalid_patterns_name_their_index(string value)
    {
        AssertField("outputs[1]", $$"""{"outputs": ["ok.txt", {{value}}]}""");
    }

    [Fact]
    public void Overlong_patterns_are_refused()
    {
        AssertField("outputs[0]", $$"""{"outputs": ["{{new string('a', 1025)}}"]}""");
    }

    [Theory]
    [InlineData("\"*.csv\"")]
    [InlineData("{\"glob\": \"*.csv\"}")]
    [InlineData("true")]
    public void Outputs_must_be_an_array(string value)
    {
        AssertField("outputs", $$"""{"outputs": {{value}}}""");
    }

    [Fact]
    public void At_most_100_patterns()
    {
        static string Json(int n) => "{\"outputs\": [" + string.Join(", ", Enumerable.Range(0, n).Select(i => $"\"f{i}\"")) + "]}";

        Assert.Equal(100, Parse(Json(100)).Outputs.Count);
        AssertField("outputs", Json(101));
    }

    [Fact]
    public void Public_parse_names_the_outputs_field()
    {
        Assert.Equal("outputs", Assert.Throws<ManifestException>(() => OutputGlob.Parse("../x")).Field);
    }
}
