using static Sandrun.Tests.Manifest.ManifestTesting;

namespace Sandrun.Tests.Manifest;

/// <summary><c>env</c>: names, values, size, and the variables a manifest may not set.</summary>
public sealed class EnvTests
{
    public static TheoryData<string> ForbiddenNames =>
    [
        "PATH", "HOME", "TMPDIR", "USER", "LOGNAME",
        "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "LD_DEBUG", "LD_", "GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES",
        "HOSTALIASES", "LOCALDOMAIN", "LOCPATH", "MALLOC_CHECK_", "MALLOC_TRACE", "NIS_PATH", "NLSPATH",
        "RESOLV_HOST_CONF", "RES_OPTIONS", "TZDIR",
        "PYTHONHOME", "PYTHONPLATLIBDIR", "R_HOME",
        "PYTHONSTARTUP", "PYTHONINSPECT", "NODE_OPTIONS", "PERL5OPT", "PERL5DB", "RUBYOPT", "BASH_ENV", "ENV",
        "SHELLOPTS", "BASHOPTS", "PS4", "IFS", "R_PROFILE", "R_PROFILE_USER", "R_ENVIRON", "R_ENVIRON_USER",
        "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "DOTNET_STARTUP_HOOKS", "DOTNET_ROOT",
        "COMPlus_EnableDiagnostics", "CORECLR_PROFILER",
    ];

    [Fact]
    public void Ordinary_variables_are_kept()
    {
        var manifest = Parse("""
            {"env": {"MODE": "fast", "_x1": "", "LANG": "de_DE.UTF-8", "LC_ALL": "C", "TZ": "UTC", "PYTHONPATH": "lib",
                     "NODE_PATH": "node_modules", "PERL5LIB": "lib", "RUBYLIB": "lib", "R_LIBS": "rlib", "PYTHONUNBUFFERED": "1",
                     "path": "lowercase is another variable", "GREETING": "héllo = world"}}
            """);

        Assert.Equal(13, manifest.Env.Count);
        Assert.Equal("héllo = world", manifest.Env["GREETING"]);
        Assert.Equal("", manifest.Env["_x1"]);
        Assert.Equal("lowercase is another variable", manifest.Env["path"]);
    }

    [Theory]
    [MemberData(nameof(ForbiddenNames))]
    public void Forbidden_variables_are_refused_by_name(string name)
    {
        var error = AssertField("env." + name, $$$"""{"env": {"OK": "1", "{{{name}}}": "x"}}""");

        Assert.StartsWith("cannot be set: " + name, error.Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1ABC")]
    [InlineData("A-B")]
    [InlineData("A B")]
    [InlineData("A=B")]
    [InlineData("Ä")]
    [InlineData("A.B")]
    [InlineData("")]
    public void Invalid_names_are_refused(string name)
    {
        var error = AssertField("env." + name, $$$"""{"env": {"{{{name}}}": "x"}}""");

        Assert.Contains("[A-Za-z_][A-Za-z0-9_]*", error.Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"PORT\": 8080}", "env.PORT")]
    [InlineData("{\"DEBUG\": true}", "env.DEBUG")]
    [InlineData("{\"X\": null}", "env.X")]
    [InlineData("{\"X\": [\"a\"]}", "env.X")]
    [InlineData("{\"X\": \"a\\u0000b\"}", "env.X")]
    [InlineData("{\"X\": \"\\ud800\"}", "env.X")]
    [InlineData("[\"A=1\"]", "env")]
    [InlineData("\"A=1\"", "env")]
    public void Invalid_values_are_refused(string value, string field)
    {
        AssertField(field, $$"""{"env": {{value}}}""");
    }

    [Fact]
    public void At_most_64_KiB_of_NAME_equals_value()
    {
        // "A=" plus 65534 bytes is exactly 65536.
        Assert.Single(Parse($$$"""{"env": {"A": "{{{new string('v', 65534)}}}"}}""").Env);
        AssertField("env", $$$"""{"env": {"A": "{{{new string('v', 65535)}}}"}}""");
        AssertField("env", $$$"""{"env": {"A": "{{{new string('v', 40000)}}}", "B": "{{{new string('v', 40000)}}}"}}""");
    }
}
