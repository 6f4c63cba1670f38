using System.Security.Cryptography;
using System.Text;
using Sandrun.Outputs;

namespace Sandrun.Tests.Outputs;

public sealed class OutputCollectorTests : IDisposable
{
    private readonly string parent = Directory.CreateTempSubdirectory("outputs").FullName;

    private string Ws => Path.Combine(parent, "ws");

    public OutputCollectorTests() => Directory.CreateDirectory(Ws);

    public void Dispose() => Directory.Delete(parent, true);

    [Fact]
    public void Created_and_changed_files_are_outputs_unchanged_inputs_are_not()
    {
        Write("main.py", "print(1)");
        Write("data/in.csv", "a,b");
        Write("data/changed.csv", "new");
        Write("out/result.txt", "42");
        var inputs = new Dictionary<string, string> { ["main.py"] = Sha("print(1)"), ["data/in.csv"] = Sha("a,b"), ["data/changed.csv"] = Sha("old") };
        var outputs = OutputCollector.Collect(Ws, inputs, null).Files;
        Assert.Equal(["data/changed.csv", "out/result.txt"], outputs.Select(o => o.Path));
        var result = outputs[1];
        Assert.Equal(2, result.SizeBytes);
        Assert.Equal(Sha("42"), result.Sha256);
        Assert.Equal("text/plain", result.MimeType);
        Assert.Equal("file", result.Type);
    }

    [Fact]
    public void Patterns_select_outputs_including_inputs_they_name()
    {
        Write("main.py", "x");
        Write("a.csv", "1");
        Write("d/b.csv", "2");
        var outputs = OutputCollector.Collect(Ws, new Dictionary<string, string> { ["main.py"] = Sha("x") }, p => p.EndsWith(".csv", StringComparison.Ordinal) || p == "main.py").Files;
        Assert.Equal(["a.csv", "d/b.csv", "main.py"], outputs.Select(o => o.Path));
    }

    [Fact]
    public void Paths_the_job_did_not_make_are_skipped_only_without_patterns()
    {
        Write("main.py", "x");
        Write(".sandrun/python/dep.py", "installed");
        Write("out.txt", "made");
        var inputs = new Dictionary<string, string> { ["main.py"] = Sha("x") };
        static bool Installed(string p) => p.StartsWith(".sandrun/", StringComparison.Ordinal);
        Assert.Equal(["out.txt"], OutputCollector.Collect(Ws, inputs, null, Installed).Files.Select(o => o.Path));
        Assert.Equal([".sandrun/python/dep.py"], OutputCollector.Collect(Ws, inputs, p => p.EndsWith(".py", StringComparison.Ordinal) && p != "main.py", Installed).Files.Select(o => o.Path));
    }

    [Fact]
    public void Symlinks_planted_by_the_job_are_never_followed()
    {
        var secret = Path.Combine(parent, "secret.txt");
        File.WriteAllText(secret, "host secret");
        Directory.CreateDirectory(Path.Combine(parent, "hostdir"));
        File.WriteAllText(Path.Combine(parent, "hostdir", "x.txt"), "host file");
        File.CreateSymbolicLink(Path.Combine(Ws, "leak.txt"), secret);
        File.CreateSymbolicLink(Path.Combine(Ws, "rel.txt"), "../secret.txt");
        Directory.CreateSymbolicLink(Path.Combine(Ws, "dirlink"), Path.Combine(parent, "hostdir"));
        Write("real.txt", "ok");
        var outputs = OutputCollector.Collect(Ws, new Dictionary<string, string>(), null).Files;
        Assert.Equal(["real.txt"], outputs.Select(o => o.Path));
    }

    [Fact]
    public void Opening_through_a_symlinked_directory_or_outside_is_refused()
    {
        Directory.CreateDirectory(Path.Combine(parent, "hostdir"));
        File.WriteAllText(Path.Combine(parent, "hostdir", "x.txt"), "host file");
        Directory.CreateSymbolicLink(Path.Combine(Ws, "d"), Path.Combine(parent, "hostdir"));
        using var root = BeneathFile.OpenRoot(Ws);
        Assert.Null(BeneathFile.OpenRegularFile(root, "d/x.txt"));
        Assert.Null(BeneathFile.OpenRegularFile(root, "../secret.txt"));
        Assert.Null(BeneathFile.OpenRegularFile(root, "/etc/passwd"));
        Write("fine.txt", "y");
        using var ok = BeneathFile.OpenRegularFile(root, "fine.txt");
        Assert.NotNull(ok);
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(Ws, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static string Sha(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
}
