using Microsoft.Extensions.Logging.Abstractions;
using Sandrun.Abstractions;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Tests;

/// <summary>
/// The container disposes the sandbox twice (as <see cref="LinuxSandbox"/> and as the <see cref="ISandbox"/> its factory
/// returned). A second close of the sandbox's fd numbers closed whatever the process had opened under them since: in CI
/// a test host read /proc/self/mountinfo through a closed fd (EBADF) and then died creating a thread.
/// </summary>
public sealed class DisposalTests
{
    private const int F_DUPFD = 0;

    [Fact]
    public void A_second_dispose_leaves_alone_the_files_that_reuse_the_sandboxes_fd_numbers()
    {
        var sandbox = new LinuxSandbox(new LinuxSandboxOptions(), NullLogger.Instance, null);
        sandbox.EnsureReady();
        var before = OpenFds();
        sandbox.Dispose();
        var freed = before.Except(OpenFds()).ToList();
        Assert.NotEmpty(freed);

        // Other files take the freed numbers, as they would in a busy server.
        var devNull = Libc.Open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        Assert.True(devNull >= 0);
        var reused = new List<int>();
        try
        {
            foreach (var n in freed)
            {
                var fd = Libc.Fcntl(devNull, F_DUPFD, n);
                if (fd == n)
                {
                    reused.Add(fd);
                }
                else if (fd >= 0)
                {
                    Libc.Close(fd);
                }
            }

            Assert.NotEmpty(reused);
            sandbox.Dispose();
            Assert.All(reused, fd => Assert.True(Libc.Fcntl(fd, 1 /* F_GETFD */, 0) >= 0, $"fd {fd} was closed by the second Dispose"));
        }
        finally
        {
            reused.ForEach(fd => Libc.Close(fd));
            Libc.Close(devNull);
        }
    }

    private static HashSet<int> OpenFds() =>
        [.. new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Select(f => int.Parse(f.Name, System.Globalization.CultureInfo.InvariantCulture))];
}
