namespace AdminPortal.App.Features.Sessions;

/// <summary>A short, readable form of a User-Agent header ("Chrome 131 on Linux") for the sessions lists.</summary>
/// <remarks>
/// The header is whatever the browser (or anybody) sent: only known tokens are picked out and everything else is
/// dropped, so the list never shows a long or hostile string. Not a full parser: enough to tell one's devices apart.
/// </remarks>
public static class BrowserName
{
    public const string Unknown = "Unknown browser";

    public static string Describe(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return Unknown;
        }

        // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
        string? browser =
            Version(userAgent, "Edg/") is { } edge ? $"Edge {edge}"
            : Version(userAgent, "OPR/") is { } opera ? $"Opera {opera}"
            : Version(userAgent, "Firefox/") is { } firefox ? $"Firefox {firefox}"
            : Version(userAgent, "HeadlessChrome/") is { } headless ? $"Headless Chrome {headless}"
            : Version(userAgent, "Chrome/") is { } chrome ? $"Chrome {chrome}"
            : userAgent.Contains("Safari/", StringComparison.Ordinal) && Version(userAgent, "Version/") is { } safari ? $"Safari {safari}"
            : userAgent.StartsWith("curl/", StringComparison.OrdinalIgnoreCase) ? "curl"
            : null;

        string? system =
            userAgent.Contains("Windows", StringComparison.Ordinal) ? "Windows"
            : userAgent.Contains("iPhone", StringComparison.Ordinal) || userAgent.Contains("iPad", StringComparison.Ordinal) ? "iOS"
            : userAgent.Contains("Android", StringComparison.Ordinal) ? "Android"
            : userAgent.Contains("Mac OS X", StringComparison.Ordinal) ? "macOS"
            : userAgent.Contains("CrOS", StringComparison.Ordinal) ? "ChromeOS"
            : userAgent.Contains("Linux", StringComparison.Ordinal) ? "Linux"
            : null;

        return (browser, system) switch
        {
            (null, null) => Unknown,
            (null, _) => $"{Unknown} on {system}",
            (_, null) => browser,
            _ => $"{browser} on {system}",
        };
    }

    /// <summary>The major version after <paramref name="token"/>: digits only, at most 4.</summary>
    private static string? Version(string userAgent, string token)
    {
        int at = userAgent.IndexOf(token, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        int start = at + token.Length;
        int end = start;
        while (end < userAgent.Length && end - start < 4 && char.IsAsciiDigit(userAgent[end]))
        {
            end++;
        }

        return end > start ? userAgent[start..end] : null;
    }
}
