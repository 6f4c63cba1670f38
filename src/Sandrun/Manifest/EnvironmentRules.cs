namespace Sandrun.Manifest;

/// <summary>
/// Which environment variables a manifest may set (SPEC.md §3 <c>env</c>).
/// </summary>
/// <remarks>
/// The job's own code can set anything for processes it starts, so this list is not the sandbox boundary. It keeps the
/// command the service starts and records in the receipt (interpreter, entrypoint, args) the one that actually runs,
/// for the job and for the dependency installers that run before it in the same sandbox:
/// <list type="bullet">
/// <item>variables the sandbox itself provides (PATH, HOME, TMPDIR, USER, LOGNAME); LANG and LC_* stay settable;</item>
/// <item>the dynamic loader's LD_* and glibc's own "unsecure" list (sysdeps/generic/unsecvars.h: the variables glibc
/// strips for setuid programs because they load code or data files from a chosen path, e.g. GCONV_PATH,
/// GLIBC_TUNABLES of CVE-2023-4911, MALLOC_TRACE, NLSPATH, resolver files);</item>
/// <item>variables that run code before the entrypoint, swap the runtime underneath the named interpreter, or change
/// how it runs (PYTHONSTARTUP with PYTHONINSPECT leaves python waiting at a prompt until the timeout, NODE_OPTIONS
/// --require, PERL5OPT -M/-d, RUBYOPT -r, BASH_ENV/ENV startup files, SHELLOPTS=xtrace with PS4 command
/// substitution, IFS, R's profile and environ files, PYTHONHOME/R_HOME);</item>
/// <item>JVM and .NET startup hooks (JAVA_TOOL_OPTIONS, DOTNET_STARTUP_HOOKS, CORECLR_PROFILER, ...), picked up by any
/// such runtime a job's tools may start.</item>
/// </list>
/// Module search paths (PYTHONPATH, NODE_PATH, PERL5LIB, RUBYLIB, R_LIBS, ...) stay allowed: they only make the
/// interpreter find modules, which are the job's own code anyway, and they are how uploaded libraries are used.
/// </remarks>
internal static class EnvironmentRules
{
    /// <summary>Largest total of all <c>NAME=value</c> entries, in UTF-8 bytes.</summary>
    internal const int MaxTotalBytes = 64 * 1024;

    private const string SandboxOwned = "is set by the sandbox";
    private const string Loader = "controls the dynamic loader or the C library, which every process in the sandbox uses";
    private const string Startup = "changes what the interpreter runs before or instead of the entrypoint";
    private const string Runtime = "relocates the interpreter's runtime or standard library";
    private const string Hook = "injects code into every JVM or .NET process";

    private static readonly Dictionary<string, string> Forbidden = new(StringComparer.Ordinal)
    {
        ["PATH"] = SandboxOwned, ["HOME"] = SandboxOwned, ["TMPDIR"] = SandboxOwned, ["USER"] = SandboxOwned, ["LOGNAME"] = SandboxOwned,

        ["GCONV_PATH"] = Loader, ["GETCONF_DIR"] = Loader, ["GLIBC_TUNABLES"] = Loader, ["HOSTALIASES"] = Loader,
        ["LOCALDOMAIN"] = Loader, ["LOCPATH"] = Loader, ["MALLOC_CHECK_"] = Loader, ["MALLOC_TRACE"] = Loader,
        ["NIS_PATH"] = Loader, ["NLSPATH"] = Loader, ["RESOLV_HOST_CONF"] = Loader, ["RES_OPTIONS"] = Loader, ["TZDIR"] = Loader,

        ["PYTHONHOME"] = Runtime, ["PYTHONPLATLIBDIR"] = Runtime, ["R_HOME"] = Runtime,

        ["PYTHONSTARTUP"] = Startup, ["PYTHONINSPECT"] = Startup, ["NODE_OPTIONS"] = Startup, ["PERL5OPT"] = Startup,
        ["PERL5DB"] = Startup, ["RUBYOPT"] = Startup, ["BASH_ENV"] = Startup, ["ENV"] = Startup, ["SHELLOPTS"] = Startup,
        ["BASHOPTS"] = Startup, ["PS4"] = Startup, ["IFS"] = Startup, ["R_PROFILE"] = Startup, ["R_PROFILE_USER"] = Startup,
        ["R_ENVIRON"] = Startup, ["R_ENVIRON_USER"] = Startup,

        ["JAVA_TOOL_OPTIONS"] = Hook, ["_JAVA_OPTIONS"] = Hook, ["JDK_JAVA_OPTIONS"] = Hook,
    };

    private static readonly (string Prefix, string Reason)[] ForbiddenPrefixes =
    [
        ("LD_", Loader), ("DOTNET_", Hook), ("COMPlus_", Hook), ("CORECLR_", Hook),
    ];

    /// <summary>Whether <paramref name="name"/> matches <c>[A-Za-z_][A-Za-z0-9_]*</c>.</summary>
    public static bool IsValidName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>Why a manifest may not set <paramref name="name"/>, or null when it may (names compare case-sensitively, as in libc).</summary>
    public static string? ForbiddenReason(string name)
    {
        if (Forbidden.TryGetValue(name, out var reason))
        {
            return reason;
        }

        foreach (var (prefix, prefixReason) in ForbiddenPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return prefixReason;
            }
        }

        return null;
    }
}
