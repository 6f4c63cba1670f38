using Sandrun.EnvironmentTemplates;

namespace Sandrun.Tests.EnvironmentTemplates;

public sealed class EnvironmentDescriptorTests : IDisposable
{
    private readonly string template = Directory.CreateTempSubdirectory("sandrun-descriptor-").FullName;

    [Theory]
    [InlineData("../outside")]
    [InlineData("/usr/lib")]
    [InlineData("usr/../../etc")]
    [InlineData("usr/lib:/tmp")]
    [InlineData("")]
    public void A_path_outside_the_template_is_refused(string path)
    {
        Descriptor(python: [path]).Write(template);
        var e = Assert.Throws<InvalidDataException>(() => EnvironmentDescriptor.Read(template));
        Assert.Contains("not a relative path inside the template", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_json_is_refused_naming_the_file()
    {
        File.WriteAllText(Path.Combine(template, EnvironmentDescriptor.FileName), "{\"name\": ");
        var e = Assert.Throws<InvalidDataException>(() => EnvironmentDescriptor.Read(template));
        Assert.Contains(EnvironmentDescriptor.FileName, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_template_without_a_descriptor_has_none() => Assert.Null(EnvironmentDescriptor.Read(template));

    [Fact]
    public void Paths_are_rooted_at_the_mount_path_and_go_before_the_jobs_own_values()
    {
        Descriptor(python: ["usr/lib/python3/dist-packages"], libraries: ["usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu/blas"]).Write(template);
        var descriptor = EnvironmentDescriptor.Read(template)!;
        var variables = descriptor.VariablesAt("/opt/sandrun/environments/ds", new Dictionary<string, string> { ["PYTHONPATH"] = "/workspace/lib" });

        Assert.Equal("/opt/sandrun/environments/ds/usr/lib/python3/dist-packages:/workspace/lib", variables["PYTHONPATH"]);
        Assert.Equal("/opt/sandrun/environments/ds/usr/lib/x86_64-linux-gnu:/opt/sandrun/environments/ds/usr/lib/x86_64-linux-gnu/blas", variables["LD_LIBRARY_PATH"]);
        Assert.Equal("Agg", variables["MPLBACKEND"]);
        Assert.Equal([new EnvironmentPackage("numpy", "1.24.2")], descriptor.Packages);
    }

    public void Dispose() => Directory.Delete(template, true);

    private static EnvironmentDescriptor Descriptor(string[] python, string[]? libraries = null) =>
        new("ds", "test", "debian", python, libraries ?? [], new Dictionary<string, string> { ["MPLBACKEND"] = "Agg" }, [new EnvironmentPackage("numpy", "1.24.2")]);
}
