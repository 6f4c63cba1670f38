using Sandrun.Manifest;

namespace Sandrun.Tests.Manifest;

/// <summary>Glob syntax and matching of <c>outputs</c> patterns.</summary>
public sealed class OutputGlobTests
{
    [Theory]
    // '*' stays within one segment.
    [InlineData("*.csv", "a.csv", true)]
    [InlineData("*.csv", "d/a.csv", false)]
    [InlineData("*.csv", ".csv", true)]
    [InlineData("*.csv", ".hidden.csv", true)]
    [InlineData("*.csv", "a.csv.bak", false)]
    [InlineData("*", "a", true)]
    [InlineData("*", "a/b", false)]
    [InlineData("*/*", "a/b", true)]
    [InlineData("*/*", "a", false)]
    [InlineData("data/*.csv", "data/x.csv", true)]
    [InlineData("data/*.csv", "data/sub/x.csv", false)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "abcbc", true)]
    [InlineData("a*b*c", "abx", false)]
    [InlineData("*a*", "xyz", false)]
    // '**' spans any number of segments, including none.
    [InlineData("**/*.csv", "a.csv", true)]
    [InlineData("**/*.csv", "d/a.csv", true)]
    [InlineData("**/*.csv", "d/e/f/a.csv", true)]
    [InlineData("**/*.csv", "d/a.txt", false)]
    [InlineData("**", "a", true)]
    [InlineData("**", "a/b/c", true)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/x/c", false)]
    [InlineData("a/**/b", "b", false)]
    [InlineData("a/**/b", "a/b/c", false)]
    [InlineData("a/**", "a/b", true)]
    [InlineData("a/**", "a/b/c", true)]
    [InlineData("a/**", "a", false)]
    [InlineData("**/b/**", "x/b/y", true)]
    [InlineData("**/b/**", "b/y", true)]
    [InlineData("**/b/**", "x/b", false)]
    [InlineData("**/**/x", "x", true)]
    [InlineData("**/", "a/b", true)]
    [InlineData("**/", "a", true)]
    // A trailing '/' is the whole directory.
    [InlineData("out/", "out/a", true)]
    [InlineData("out/", "out/x/y.bin", true)]
    [InlineData("out/", "out", false)]
    [InlineData("out/", "outx/a", false)]
    [InlineData("out/", "x/out/a", false)]
    [InlineData("*/logs/", "job/logs/1.txt", true)]
    [InlineData("*/logs/", "logs/1.txt", false)]
    // '?' is one character, never '/'.
    [InlineData("?.txt", "a.txt", true)]
    [InlineData("?.txt", "ab.txt", false)]
    [InlineData("?.txt", ".txt", false)]
    [InlineData("a?b", "a/b", false)]
    [InlineData("?", "é", true)]
    [InlineData("?", "😀", true)]
    [InlineData("??", "😀", false)]
    // Literal names match exactly and case-sensitively.
    [InlineData("result.json", "result.json", true)]
    [InlineData("result.json", "x/result.json", false)]
    [InlineData("result.json", "result.jsonx", false)]
    [InlineData("result.json", "Result.json", false)]
    [InlineData("*.CSV", "a.csv", false)]
    [InlineData("report (final)+.txt", "report (final)+.txt", true)]
    [InlineData("./out/*.txt", "out/a.txt", true)]
    public void Matches(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, OutputGlob.Parse(pattern).IsMatch(path));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("**")]
    [InlineData("out/")]
    public void An_empty_path_matches_nothing(string pattern)
    {
        Assert.False(OutputGlob.Parse(pattern).IsMatch(""));
    }

    [Theory]
    [InlineData("./a/./b/", "a/b/")]
    [InlineData("out/", "out/")]
    [InlineData("**", "**")]
    [InlineData("./*.csv", "*.csv")]
    public void Patterns_are_normalized(string pattern, string normalized)
    {
        var glob = OutputGlob.Parse(pattern);

        Assert.Equal(normalized, glob.Pattern);
        Assert.Equal(normalized, glob.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("/abs")]
    [InlineData("..")]
    [InlineData("a/../b")]
    [InlineData("a\\b")]
    [InlineData("a\0b")]
    [InlineData("a//b")]
    [InlineData(".")]
    [InlineData("[ab].txt")]
    [InlineData("{a,b}.txt")]
    [InlineData("x**")]
    [InlineData("**x/y")]
    [InlineData("a/***")]
    public void Invalid_patterns_are_refused(string pattern)
    {
        Assert.Equal("outputs", Assert.Throws<ManifestException>(() => OutputGlob.Parse(pattern)).Field);
    }

    [Fact]
    public void Many_stars_against_a_long_path_finish_quickly()
    {
        var glob = OutputGlob.Parse(string.Join('/', Enumerable.Repeat("**", 200)) + "/*a*a*a*a*a*a*b");
        var path = string.Join('/', Enumerable.Repeat(new string('a', 50), 200));

        Assert.False(glob.IsMatch(path));
    }
}
