using System.Globalization;
using System.Text;

namespace AdminPortal.App.Grid;

/// <summary>
/// Where a keyset page starts: the sort key and id of the row just before it (After) or just after it (Before).
/// Opaque in the URL (base64url), so ids above 2^53 never pass through JavaScript as numbers.
/// </summary>
public sealed record PageCursor(string? Key, long Id)
{
    /// <summary>Text keys (names, emails, titles) are at most this long; anything longer did not come from a row.</summary>
    public const int MaxTextKeyLength = 1000;

    /// <summary>Longer than any cursor a row can produce (an id, a bar and a text key at its cap, in UTF-8, base64).</summary>
    public const int MaxEncodedLength = 8200;

    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Id.ToString(CultureInfo.InvariantCulture)}|{Key ?? "\u0000"}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static PageCursor? Decode(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxEncodedLength)
        {
            return null;
        }

        try
        {
            string padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            string text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            int bar = text.IndexOf('|');
            string key = text[(bar + 1)..];
            return bar > 0 && long.TryParse(text[..bar], NumberStyles.None, CultureInfo.InvariantCulture, out long id)
                ? new PageCursor(key == "\u0000" ? null : key, id)
                : null;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException)
        {
            return null; // a mangled link starts from the first page rather than failing
        }
    }

    /// <summary>A key that carries a time as UTC ticks (URL state: parsed, never trusted; out of range is not a time).</summary>
    public static bool TryTime(string? key, out DateTime time)
    {
        time = default;
        if (!long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out long ticks) || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        time = new DateTime(ticks, DateTimeKind.Utc);
        return true;
    }

    public bool HasTextKey => Key is { Length: <= MaxTextKeyLength };

    public bool HasTimeKey => TryTime(Key, out _);
}

public enum PageRequestKind
{
    First,
    After,
    Before,
    Last,
}

public sealed record PageRequest(PageRequestKind Kind = PageRequestKind.First, PageCursor? Cursor = null, int Size = GridPage.DefaultSize);
