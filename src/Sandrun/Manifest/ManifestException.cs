namespace Sandrun.Manifest;

/// <summary>
/// A manifest that breaks a rule of SPEC.md §3. The API answers 400 with <see cref="Field"/> and <see cref="Details"/>;
/// <see cref="Exception.Message"/> is both together (<c>field: details</c>).
/// </summary>
public sealed class ManifestException : Exception
{
    /// <summary>Creates the error for one field.</summary>
    /// <param name="field">The offending field, e.g. <c>timeout</c>, <c>env.PATH</c>, <c>args[3]</c>, <c>gpu.device_id</c>;
    /// <c>manifest</c> when the text as a whole is not a usable JSON object.</param>
    /// <param name="details">What is wrong and what would be accepted.</param>
    public ManifestException(string field, string details)
        : base(field + ": " + details)
    {
        Field = field;
        Details = details;
    }

    /// <summary>The offending field: a top-level name, <c>env.NAME</c>, <c>args[i]</c>, <c>outputs[i]</c>,
    /// <c>gpu.NAME</c>, or <c>manifest</c> for the text as a whole.</summary>
    public string Field { get; }

    /// <summary>What is wrong and what would be accepted, for people reading the 400 response.</summary>
    public string Details { get; }

    /// <summary>Quotes a value from the manifest for an error message, shortened so a huge value cannot bloat the response.</summary>
    internal static string Quote(string value)
    {
        const int Shown = 100;
        if (value.Length <= Shown)
        {
            return $"'{value}'";
        }

        // Never cut a surrogate pair in half.
        var cut = char.IsHighSurrogate(value[Shown - 1]) ? Shown - 1 : Shown;
        return $"'{value[..cut]}…'";
    }
}
