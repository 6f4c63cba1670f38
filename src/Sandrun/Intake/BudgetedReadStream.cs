namespace Sandrun.Intake;

/// <summary>Reads a part's raw bytes, charging each read to the upload's byte budget.</summary>
internal sealed class BudgetedReadStream(Stream inner, ByteBudget budget, EntryRef at) : ReadOnlyStream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        budget.Charge(read, at);
        return read;
    }
}
