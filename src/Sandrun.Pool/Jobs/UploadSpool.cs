using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Sandrun.Pool.Jobs;

/// <summary>
/// Reads a <c>/submit</c> body once into a file (RAM-backed <c>/dev/shm</c> by default, SPEC.md §5), so a refusing or
/// unreachable worker can be followed by the next without asking the client to send it again.
/// </summary>
public sealed class UploadSpool : IDisposable
{
    private readonly string directory;
    private readonly long limit;

    /// <summary>Creates the spool directory (mode 0700).</summary>
    public UploadSpool(IOptions<PoolOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var root = options.Value.SpoolDirectory ?? (Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath());
        directory = Path.Combine(root, $"sandrun-pool-{Environment.ProcessId}");
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        limit = options.Value.MaxUploadBytes;
    }

    /// <summary>Removes the spool directory and anything still in it.</summary>
    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The largest body accepted.</summary>
    public long Limit => limit;

    /// <summary>Copies <paramref name="body"/> to a new spool file; null when it is longer than <see cref="Limit"/> (nothing kept).</summary>
    public async Task<SpooledUpload?> SpoolAsync(Stream body, string contentType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var path = Path.Combine(directory, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        var kept = false;
        try
        {
            long length = 0;
            var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Options = FileOptions.Asynchronous,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            await using (file.ConfigureAwait(false))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                    if (length > limit)
                    {
                        return null;
                    }

                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }

            kept = true;
            return new SpooledUpload(path, contentType, length);
        }
        finally
        {
            if (!kept)
            {
                File.Delete(path);
            }
        }
    }
}
