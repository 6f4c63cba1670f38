using Sandrun.Manifest;

namespace Sandrun.Tests.Manifest;

/// <summary>The interpreter table: names, extensions and the argv each runs.</summary>
public sealed class InterpretersTests
{
    [Fact]
    public void The_table_is_the_spec_list()
    {
        Assert.Equal(["python3", "node", "bash", "sh", "ruby", "Rscript", "perl"], Interpreters.All);
    }

    [Theory]
    [InlineData("main.py", "python3")]
    [InlineData("index.js", "node")]
    [InlineData("index.mjs", "node")]
    [InlineData("run.sh", "bash")]
    [InlineData("main.rb", "ruby")]
    [InlineData("main.R", "Rscript")]
    [InlineData("main.r", "Rscript")]
    [InlineData("tool.pl", "perl")]
    [InlineData("src/app.PY", "python3")]
    [InlineData("a.b.js", "node")]
    [InlineData("main.txt", null)]
    [InlineData("main", null)]
    [InlineData("dir.py/main", null)]
    [InlineData("main.py.bak", null)]
    [InlineData("main.ts", null)]
    public void Extensions_map_to_interpreters(string fileName, string? interpreter)
    {
        Assert.Equal(interpreter, Interpreters.ForExtension(fileName));
    }

    [Theory]
    [InlineData("python3", new[] { "python3", "-u", "main.py", "a", "b c" })]
    [InlineData("node", new[] { "node", "main.py", "a", "b c" })]
    [InlineData("bash", new[] { "bash", "main.py", "a", "b c" })]
    [InlineData("sh", new[] { "sh", "main.py", "a", "b c" })]
    [InlineData("ruby", new[] { "ruby", "main.py", "a", "b c" })]
    [InlineData("Rscript", new[] { "Rscript", "main.py", "a", "b c" })]
    [InlineData("perl", new[] { "perl", "main.py", "a", "b c" })]
    public void Each_interpreter_runs_the_entrypoint_with_the_args(string interpreter, string[] argv)
    {
        Assert.Equal(argv, Interpreters.Command(interpreter, "main.py", ["a", "b c"]));
    }

    [Fact]
    public void Arguments_are_never_shell_interpreted()
    {
        Assert.Equal(["bash", "run.sh", "$(reboot)", "; ls", "*"], Interpreters.Command("bash", "run.sh", ["$(reboot)", "; ls", "*"]));
    }

    [Fact]
    public void An_entrypoint_that_looks_like_an_option_is_made_a_path()
    {
        Assert.Equal(["python3", "-u", "./-c.py"], Interpreters.Command("python3", "-c.py", []));
        Assert.Equal(["node", "./--inspect.js"], Interpreters.Command("node", "--inspect.js", []));
        Assert.Equal(["perl", "dir/-e.pl"], Interpreters.Command("perl", "dir/-e.pl", []));
    }

    [Theory]
    [InlineData("python")]
    [InlineData("Python3")]
    [InlineData("/bin/sh")]
    public void Unknown_interpreters_are_an_argument_error(string interpreter)
    {
        Assert.Throws<ArgumentException>(() => Interpreters.Command(interpreter, "main.py", []));
    }
}
