namespace Sandrun.AspNetCore.Execution;

/// <summary>Whether a requested language version names the installed one: <c>*</c>, <c>3</c>, <c>3.11</c>, <c>3.x</c> and <c>3.11.2</c> all name 3.11.2.</summary>
internal static class VersionMatch
{
    public static bool Matches(string? requested, string installed)
    {
        if (string.IsNullOrWhiteSpace(requested) || requested.Trim() is "*" or "latest")
        {
            return true;
        }

        var wanted = requested.Trim().TrimStart('v', 'V').Split('.');
        var actual = installed.Split('.');
        if (wanted.Length > actual.Length)
        {
            return false;
        }

        for (var i = 0; i < wanted.Length; i++)
        {
            if (wanted[i] is not ("x" or "X" or "*") && wanted[i] != actual[i])
            {
                return false;
            }
        }

        return true;
    }
}
