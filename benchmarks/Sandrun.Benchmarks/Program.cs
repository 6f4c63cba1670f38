using BenchmarkDotNet.Running;
using Sandrun.Benchmarks;

// spawn  : whole-process harness, sandbox start→exit latency vs bare exec and bwrap (ratios, same run); --retained L1,L2,…: the same with that many retained jobs' workspaces (ratios to the first level)
// http   : whole-service harness, trivial python3 jobs through HTTP (external clients) vs the fork/exec floor (xargs)
// pool   : two worker processes, trivial python3 jobs straight to them vs through a pool (throughput, /status, WebSocket)
// mcp    : execute_python over MCP Streamable HTTP vs the same python3 run directly (latency and throughput)
// broker : claim throughput of both broker stores; python3 jobs via broker + node vs the node's own API; node death → re-run
// execute: POST /execute of print(6*7) vs python3 -c, sequential p50/p99 and the overhead
// memory : the sample server's RSS idle, with N retained jobs (some printing ~10 MiB) and after deleting them; --aot: of its NativeAOT publish, smoke-tested first
// micro  : BenchmarkDotNet micro benchmarks (seccomp and spawn-plan compilation)
return args.FirstOrDefault() switch
{
    "spawn" => await SpawnLatency.RunAsync(args[1..]),
    "http" => await HttpThroughput.RunAsync(args[1..]),
    "http-client" => await HttpLoadClient.RunAsync(args[1..]),
    "mcp" => await McpLatency.RunAsync(args[1..]),
    "broker" => await BrokerBenchmark.RunAsync(args[1..]),
    "execute" => await ExecuteLatency.RunAsync(args[1..]),
    "pool" => await PoolOverhead.RunAsync(args[1..]),
    "memory" => await MemoryFootprint.RunAsync(args[1..]),
    "micro" => Micro(args[1..]),
    _ => Usage(),
};

static int Micro(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(SpawnLatency).Assembly).Run(args);
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Sandrun.Benchmarks spawn [--iterations N | --retained 0,1000,5000 [--iterations N]] | http [--jobs N] [--rounds N] [--warmup N] [--clients N] [--workers N] [--overlap-setup 0|1] | mcp [--calls N] | pool [--jobs N] | broker [--jobs N] | execute [--calls N] | memory [--aot] [--jobs N] [--flood-every K] [--idle-seconds S] [--server PATH] [--env NAME=VALUE]... | micro [BenchmarkDotNet args]");
    return 2;
}
