using static Sandrun.Tests.Manifest.ManifestTesting;

namespace Sandrun.Tests.Manifest;

/// <summary><c>args</c>: an array of strings, at most 256 of them and 64 KiB in total, no NUL.</summary>
public sealed class ArgsTests
{
    [Fact]
    public void Arguments_are_kept_verbatim()
    {
        var manifest = Parse("""{"args": ["--n", "3", "", "a b; rm -rf / $(x) `y` 'z'", "ü😀"]}""");

        Assert.Equal(["--n", "3", "", "a b; rm -rf / $(x) `y` 'z'", "ü😀"], manifest.Args);
    }

    [Theory]
    [InlineData("\"--n 3\"", "args")]
    [InlineData("{\"n\": \"3\"}", "args")]
    [InlineData("5", "args")]
    [InlineData("[\"a\", 3]", "args[1]")]
    [InlineData("[\"a\", \"b\", null]", "args[2]")]
    [InlineData("[true]", "args[0]")]
    [InlineData("[[\"a\"]]", "args[0]")]
    [InlineData("[\"a\", \"b\\u0000c\"]", "args[1]")]
    [InlineData("[\"ok\", \"\\ud800\"]", "args[1]")]
    [InlineData("[\"\\udc00x\"]", "args[0]")]
    public void Invalid_arguments_name_the_offending_entry(string value, string field)
    {
        AssertField(field, $$"""{"args": {{value}}}""");
    }

    [Fact]
    public void A_paired_surrogate_escape_is_valid()
    {
        Assert.Equal(["😀"], Parse("""{"args": ["\ud83d\ude00"]}""").Args);
    }

    [Fact]
    public void At_most_256_arguments()
    {
        Assert.Equal(256, Parse(ArgsJson(Enumerable.Repeat("x", 256))).Args.Count);
        AssertField("args", ArgsJson(Enumerable.Repeat("x", 257)));
    }

    [Fact]
    public void At_most_64_KiB_of_arguments_counted_in_UTF8()
    {
        // Two-byte characters: 64 arguments of 512 'é' are exactly 65536 bytes.
        var exact = Enumerable.Repeat(new string('é', 512), 64).ToList();
        Assert.Equal(64, Parse(ArgsJson(exact)).Args.Count);

        exact.Add("x");
        AssertField("args", ArgsJson(exact));
    }

    private static string ArgsJson(IEnumerable<string> args) => "{\"args\": [" + string.Join(", ", args.Select(a => $"\"{a}\"")) + "]}";
}
