using Sandrun.Receipts;
using static Sandrun.Tests.Manifest.ManifestTesting;

namespace Sandrun.Tests.Manifest;

/// <summary>Manifest <c>stdin</c> (SPEC.md §9): a string of at most 1 MiB of UTF-8, part of the job hash when given.</summary>
public sealed class StdinTests
{
    [Fact]
    public void Absent_means_empty()
    {
        Assert.Equal(string.Empty, Parse("{}").Stdin);
        Assert.Equal(string.Empty, Parse("""{"stdin": null}""").Stdin);
    }

    [Fact]
    public void Text_is_kept_as_given()
    {
        Assert.Equal("line 1\nline ✓\n", Parse("""{"stdin": "line 1\nline \u2713\n"}""").Stdin);
    }

    [Theory]
    [InlineData("""{"stdin": 5}""")]
    [InlineData("""{"stdin": ["a"]}""")]
    public void Other_types_are_refused(string json) => AssertField("stdin", json);

    [Fact]
    public void At_most_one_MiB_of_UTF8()
    {
        var exactly = new string('a', 1 << 20);
        Assert.Equal(1 << 20, Parse($$"""{"stdin": "{{exactly}}"}""").Stdin.Length);

        // 2-byte characters: half a MiB of them is the limit.
        var over = new string('é', (1 << 19) + 1);
        Assert.Contains("1048576", AssertField("stdin", $$"""{"stdin": "{{over}}"}""").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_job_hash_covers_stdin_and_is_unchanged_without_it()
    {
        var without = Parse("{}");
        var with = Parse("""{"stdin": "x"}""");
        var files = new Dictionary<string, string> { ["main.py"] = new string('0', 64) };
        Assert.False(JobHash.ManifestJson(without).ContainsKey("stdin"));
        Assert.Equal("x", (string?)JobHash.ManifestJson(with)["stdin"]);
        Assert.NotEqual(JobHash.Compute(without, files), JobHash.Compute(with, files));
    }
}
