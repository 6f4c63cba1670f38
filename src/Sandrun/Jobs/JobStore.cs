using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Sandrun.Jobs;

/// <summary>All live jobs, by id. Never enumerated for clients: an id is the only way to a job.</summary>
public sealed class JobStore
{
    private const string Base32 = "abcdefghijklmnopqrstuvwxyz234567";
    private static readonly System.Buffers.SearchValues<char> IdCharacters = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789");
    private readonly ConcurrentDictionary<string, Job> jobs = new(StringComparer.Ordinal);

    /// <summary>Number of live jobs.</summary>
    public int Count => jobs.Count;

    /// <summary>A fresh id: <c>job-</c> + 130 random bits as 26 lowercase base32 characters.</summary>
    public static string NewId()
    {
        Span<byte> random = stackalloc byte[26];
        RandomNumberGenerator.Fill(random);
        Span<char> id = stackalloc char[30];
        "job-".CopyTo(id);
        for (var i = 0; i < 26; i++)
        {
            id[4 + i] = Base32[random[i] & 31];
        }

        return new string(id);
    }

    /// <summary>Finds a job.</summary>
    public bool TryGet(string id, out Job job) => jobs.TryGetValue(id, out job!);

    /// <summary>
    /// Whether <paramref name="id"/> looks like a job id: <c>job-</c> and 26 to 60 lowercase letters and digits (this
    /// engine's ids, and ids a trusted caller such as a broker issues for the engine to run under).
    /// </summary>
    public static bool IsWellFormedId([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? id) =>
        id is { Length: >= 30 and <= 64 } && id.StartsWith("job-", StringComparison.Ordinal) && id.AsSpan(4).IndexOfAnyExcept(IdCharacters) < 0;

    internal bool TryAdd(Job job) => jobs.TryAdd(job.Id, job);

    internal bool TryRemove(string id, out Job job) => jobs.TryRemove(id, out job!);

    internal IEnumerable<Job> All => jobs.Values;
}
