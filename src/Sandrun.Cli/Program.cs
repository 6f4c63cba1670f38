using Sandrun.Cli;

return await SandrunCli.RunAsync(args).ConfigureAwait(false);
