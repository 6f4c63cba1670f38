using System.Globalization;

namespace Sandrun.Server;

/// <summary>
/// The options the hosting verbs share: <c>--worker-key FILE</c> and <c>--Key value</c> configuration pairs
/// (e.g. <c>--Sandrun:Workers 4</c>), plus <c>--port/--host/--urls</c> where the verb listens on HTTP.
/// </summary>
internal sealed record HostArguments(int Port, string Host, bool UrlsGiven, string? KeyFile, IReadOnlyList<string> Configuration)
{
    public static HostArguments Parse(string[] args, bool listens)
    {
        var port = 8443;
        var host = "127.0.0.1";
        var configuration = new List<string>();
        var urlsGiven = false;
        string? keyFile = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--port" when listens:
                    port = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536
                        ? p : throw new UsageException("--port needs a number from 1 to 65535");
                    i++;
                    break;
                case "--host" when listens:
                    host = value ?? throw new UsageException("--host needs an address");
                    i++;
                    break;
                case "--urls" when listens:
                    urlsGiven = true;
                    configuration.Add(args[i]);
                    configuration.Add(value ?? throw new UsageException("--urls needs a value"));
                    i++;
                    break;
                case "--worker-key":
                    keyFile = value ?? throw new UsageException("--worker-key needs a file");
                    i++;
                    break;
                default:
                    if (!args[i].StartsWith("--", StringComparison.Ordinal) || value is null || args[i] is "--port" or "--host" or "--urls")
                    {
                        throw new UsageException($"unknown option '{args[i]}'");
                    }

                    // Other --Key value pairs are ASP.NET Core / Sandrun configuration (e.g. --Sandrun:Workers 4).
                    configuration.Add(args[i]);
                    configuration.Add(value);
                    i++;
                    break;
            }
        }

        return new HostArguments(port, host, urlsGiven, keyFile, configuration);
    }
}
