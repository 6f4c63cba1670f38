using Sandrun.Abstractions;

namespace Sandrun.Jobs;

/// <summary>
/// How far a <see cref="JobLog"/> had got when it was read: bytes below <see cref="DataLength"/> and run records
/// below <see cref="RunsLength"/> are written and never change.
/// </summary>
/// <param name="DataLength">Output bytes written, both streams.</param>
/// <param name="RunsLength">Bytes of run records written; the bytes after the last recorded run are one run of <paramref name="OpenStream"/>.</param>
/// <param name="OpenStream">The stream of the last run.</param>
/// <param name="StdoutBytes">Standard output bytes written.</param>
/// <param name="StderrBytes">Standard error bytes written.</param>
/// <param name="Completed">Whether the output has ended.</param>
/// <param name="Disposed">Whether the log has been freed.</param>
internal readonly record struct LogState(
    long DataLength, long RunsLength, SandboxStream OpenStream, long StdoutBytes, long StderrBytes, bool Completed, bool Disposed);
