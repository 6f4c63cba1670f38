namespace Sandrun.Intake;

/// <summary>A byte cap shared by every part of one upload; charging past it is a 413.</summary>
internal sealed class ByteBudget(long limit, string subject)
{
    private long used;

    public long Remaining => limit - used;

    /// <summary>Records <paramref name="bytes"/> more; throws once the total is over the limit.</summary>
    public void Charge(long bytes, EntryRef at)
    {
        EnsureRoom(bytes, at);
        used += bytes;
    }

    /// <summary>Throws if <paramref name="bytes"/> more would not fit (used to refuse a declared size early).</summary>
    public void EnsureRoom(long bytes, EntryRef at)
    {
        if (bytes > Remaining)
        {
            throw at.TooLarge($"takes {subject} over the limit of {limit} bytes");
        }
    }
}
