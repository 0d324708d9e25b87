using System.Globalization;

namespace AdminPortal.App.Data;

/// <summary>
/// The wording of "too long" for every text field. Each maximum is a constant next to its entity
/// (<c>Post.MaxTitleLength</c>, <c>User.MaxDisplayNameLength</c>, …); services enforce it and forms show it.
/// </summary>
public static class TextLimits
{
    /// <summary>Search boxes and free-text filters, in the page and in the URL.</summary>
    public const int MaxSearchLength = 200;

    public static bool TooLong(string? value, int max) => value is not null && value.Length > max;

    /// <summary>"A title has at most 300 characters; this one has 5,000,000."</summary>
    public static string Message(string what, int max, int actual) =>
        string.Create(CultureInfo.InvariantCulture, $"{what} has at most {max:N0} characters; this one has {actual:N0}. Nothing was saved.");
}
