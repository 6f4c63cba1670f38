using Sandrun.Server.EnvironmentTemplates;

namespace Sandrun.Server;

/// <summary><c>environments list</c> and <c>environments build NAME (--from-debian | --wheels DIR) [--output DIR] [--definition FILE]</c>.</summary>
internal static class EnvironmentsCommand
{
    public const string Usage = """
        usage: Sandrun.Server environments list
               Sandrun.Server environments build NAME (--from-debian | --wheels DIR) [--output DIR] [--definition FILE]
          Builds the template NAME (ml-basic, vision, nlp, data-science, or the one FILE defines) into DIR
          (default /var/lib/sandrun/environments/NAME) from Debian's packages or a directory of wheels, checks in
          the sandbox that its modules import, and replaces DIR only then. Serve it with
          --Sandrun:Environments:NAME DIR; manifests use it with "environment": "NAME".
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "list":
                foreach (var name in EnvironmentDefinition.Shipped)
                {
                    var definition = EnvironmentDefinition.LoadShipped(name);
                    Console.WriteLine($"{name,-14} {definition.Description}");
                }

                return 0;
            case "build":
                return await BuildAsync(args[1..]).ConfigureAwait(false);
            default:
                throw new UsageException("environments needs 'list' or 'build NAME'\n" + Usage);
        }
    }

    private static async Task<int> BuildAsync(string[] args)
    {
        string? name = null, wheels = null, output = null, definitionFile = null;
        var fromDebian = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--from-debian": fromDebian = true; break;
                case "--wheels": wheels = Value(); break;
                case "--output": output = Value(); break;
                case "--definition": definitionFile = Value(); break;
                default:
                    if (args[i].StartsWith('-') || name is not null)
                    {
                        throw new UsageException($"unexpected argument '{args[i]}'\n{Usage}");
                    }

                    name = args[i];
                    break;
            }
        }

        if (fromDebian == (wheels is not null))
        {
            throw new UsageException("environments build needs exactly one of --from-debian and --wheels DIR");
        }

        var definition = definitionFile is not null ? EnvironmentDefinition.Load(definitionFile)
            : EnvironmentDefinition.LoadShipped(name ?? throw new UsageException("environments build needs a NAME"));
        if (name is not null && name != definition.Name)
        {
            throw new UsageException($"NAME '{name}' differs from the definition's name '{definition.Name}'");
        }

        output ??= Path.Combine("/var/lib/sandrun/environments", definition.Name);
        try
        {
            var descriptor = await EnvironmentBuilder.BuildAsync(definition, wheels, output, Console.Out).ConfigureAwait(false);
            Console.WriteLine($"built {definition.Name} in {Path.GetFullPath(output)}: {descriptor.Packages.Count} Python distributions ("
                + string.Join(", ", descriptor.Packages.Take(8).Select(p => $"{p.Name} {p.Version}")) + (descriptor.Packages.Count > 8 ? ", …" : "") + ")");
            Console.WriteLine($"serve it with --Sandrun:Environments:{definition.Name} {Path.GetFullPath(output)}");
            return 0;
        }
        catch (EnvironmentBuildException e)
        {
            await Console.Error.WriteLineAsync($"sandrun: building {definition.Name} failed: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
