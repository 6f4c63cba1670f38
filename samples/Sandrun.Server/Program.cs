using Sandrun.Server;

return await Cli.RunAsync(args).ConfigureAwait(false);
