using System.Globalization;
using System.Text;

namespace Sandrun.Intake;

/// <summary>Names the part, and the entry inside it if any, that an intake error is about.</summary>
/// <param name="Part">The upload part's file name.</param>
/// <param name="Entry">The archive entry's name as the archive spelled it; null for the part as a whole.</param>
internal readonly record struct EntryRef(string Part, string? Entry)
{
    // Names are shown, not trusted: long ones are cut so a megabyte-long name cannot bloat the error,
    // control characters are escaped so the details stay one printable line.
    private const int MaxShownChars = 200;

    public IntakeException Invalid(string reason) => IntakeException.Invalid(Describe(reason));

    public IntakeException TooLarge(string reason) => IntakeException.TooLarge(Describe(reason));

    public static string Show(string name)
    {
        var text = new StringBuilder();
        foreach (var c in name.Length > MaxShownChars ? name[..MaxShownChars] : name)
        {
            if (char.IsControl(c))
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                text.Append(c);
            }
        }

        return name.Length > MaxShownChars ? text.Append('…').ToString() : text.ToString();
    }

    private string Describe(string reason) =>
        Entry is null ? $"{Show(Part)}: {reason}" : $"{Show(Part)}: entry '{Show(Entry)}' {reason}";
}
