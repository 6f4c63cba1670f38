using System.Text.Json;

namespace Sandrun.Pool.Workers;

/// <summary>Reads <c>workers.json</c>: <c>[{"worker_id":"&lt;base64 key&gt;","endpoint":"http://host:port","max_concurrent_jobs":4}]</c>.</summary>
public static class WorkerListFile
{
    /// <summary>The entries of <paramref name="path"/>, checked (<see cref="WorkerListRules"/>).</summary>
    /// <exception cref="WorkerListException">Unreadable, not a JSON array, or an entry is wrong (named by its index).</exception>
    public static IReadOnlyList<PoolWorkerOptions> Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkerListException($"cannot read the worker list '{path}': {e.Message}", e);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new WorkerListException($"the worker list '{path}' is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new WorkerListException($"the worker list '{path}' must be a JSON array of {{\"worker_id\",\"endpoint\",\"max_concurrent_jobs\"}} entries");
            }

            var workers = new List<PoolWorkerOptions>();
            var index = 0;
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                workers.Add(Entry(path, index++, entry));
            }

            WorkerListRules.Check(workers, i => $"'{path}' entry {i}");
            return workers;
        }
    }

    private static PoolWorkerOptions Entry(string path, int index, JsonElement entry)
    {
        var name = $"'{path}' entry {index}";
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new WorkerListException($"{name} must be an object with worker_id, endpoint and max_concurrent_jobs");
        }

        var worker = new PoolWorkerOptions();
        foreach (var field in entry.EnumerateObject())
        {
            switch (field.Name)
            {
                case "worker_id" when field.Value.ValueKind == JsonValueKind.String:
                    worker.WorkerId = field.Value.GetString()!;
                    break;
                case "endpoint" when field.Value.ValueKind == JsonValueKind.String:
                    worker.Endpoint = field.Value.GetString()!;
                    break;
                case "max_concurrent_jobs" when field.Value.ValueKind == JsonValueKind.Number && field.Value.TryGetInt32(out var max):
                    worker.MaxConcurrentJobs = max;
                    break;
                case "worker_id" or "endpoint" or "max_concurrent_jobs":
                    throw new WorkerListException($"{name}: {field.Name} has the wrong type ({field.Value.ValueKind})");
                default:
                    throw new WorkerListException($"{name}: unknown field '{field.Name}' (expected worker_id, endpoint, max_concurrent_jobs)");
            }
        }

        if (!entry.TryGetProperty("worker_id", out _))
        {
            throw new WorkerListException($"{name}: worker_id is missing");
        }

        if (!entry.TryGetProperty("endpoint", out _))
        {
            throw new WorkerListException($"{name}: endpoint is missing");
        }

        return worker;
    }
}
