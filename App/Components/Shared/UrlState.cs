using System.Globalization;
using AdminPortal.App.Data;
using Microsoft.AspNetCore.Components;

namespace AdminPortal.App.Components.Shared;

/// <summary>
/// Reads a page's query string as untrusted input. Every value is parsed with TryParse and checked against its range;
/// a value that is present but not valid falls back to the default and is remembered, so that the page can say
/// which filters it reset (<see cref="UrlStateNotice"/>) and the CSV endpoints can refuse the request with a 400.
/// </summary>
public sealed class UrlState
{
    /// <summary>Dates outside these years are not a filter anyone means; 9999-12-31 once overflowed "to + 1 day".</summary>
    public static readonly DateTime EarliestDate = new(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    public static readonly DateTime LatestDate = new(2999, 12, 31, 0, 0, 0, DateTimeKind.Utc);

    private readonly List<(string Name, string Label)> rejected = [];

    /// <summary>The query parameters that were not valid: their names (as in the URL) and what the page calls them.</summary>
    public IReadOnlyList<(string Name, string Label)> Rejected => rejected;

    public bool IsValid => rejected.Count == 0;

    public void Reject(string name, string label)
    {
        if (!rejected.Any(r => r.Name == name))
        {
            rejected.Add((name, label));
        }
    }

    /// <summary>Free text (a search box): at most <paramref name="maxLength"/> characters, no control characters.</summary>
    public string? Text(string name, string label, string? value, int maxLength = TextLimits.MaxSearchLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (value.Length > maxLength || value.Any(char.IsControl))
        {
            Reject(name, label);
            return null;
        }

        return value;
    }

    /// <summary>A row id: a positive whole number that fits a bigint.</summary>
    public long? Id(string name, string label, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id > 0)
        {
            return id;
        }

        Reject(name, label);
        return null;
    }

    /// <summary>One of an enum's names, exactly (not a number, not a combination: "999" or "Name, Email" are refused).</summary>
    public TEnum? Choice<TEnum>(string name, string label, string? value) where TEnum : struct, Enum
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (Enum.GetNames<TEnum>().Contains(value, StringComparer.Ordinal))
        {
            return Enum.Parse<TEnum>(value);
        }

        Reject(name, label);
        return null;
    }

    /// <summary>A whole number in [min, max].</summary>
    public int? Number(string name, string label, string? value, int min, int max)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number >= min && number <= max)
        {
            return number;
        }

        Reject(name, label);
        return null;
    }

    /// <summary>A calendar date (yyyy-MM-dd, as a date input sends it) between <see cref="EarliestDate"/> and <see cref="LatestDate"/>, as UTC midnight.</summary>
    public DateTime? Date(string name, string label, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
            && date >= EarliestDate && date <= LatestDate)
        {
            return DateTime.SpecifyKind(date, DateTimeKind.Utc);
        }

        Reject(name, label);
        return null;
    }

    /// <summary>"asc" or "desc"; null when absent.</summary>
    public bool? Descending(string name, string? value)
    {
        switch (value)
        {
            case null or "":
                return null;
            case "desc":
                return true;
            case "asc":
                return false;
            default:
                Reject(name, "sort direction");
                return null;
        }
    }

    /// <summary>
    /// The page a URL asks for. A cursor that does not decode, or whose key does not fit the current sort (a
    /// tampered or stale link), starts again from the first page.
    /// </summary>
    public PageRequest Page(string? after, string? before, string? last, Func<PageCursor, bool> fits, int size = 25)
    {
        if (!string.IsNullOrEmpty(last) && last != "1")
        {
            Reject("last", "page position");
        }

        if (last == "1")
        {
            return new PageRequest(PageRequestKind.Last, Size: size);
        }

        foreach (var (name, token, kind) in new[] { ("after", after, PageRequestKind.After), ("before", before, PageRequestKind.Before) })
        {
            if (string.IsNullOrEmpty(token))
            {
                continue;
            }

            if (PageCursor.Decode(token) is { } cursor && fits(cursor))
            {
                return new PageRequest(kind, cursor, size);
            }

            Reject(name, "page position");
        }

        return new PageRequest(Size: size);
    }

    /// <summary>The sentence the page shows, or null when every parameter was valid.</summary>
    public string? Notice => rejected.Count == 0
        ? null
        : $"Some filters in the address were not valid and were reset: {string.Join(", ", rejected.Select(r => r.Label).Distinct())}.";

    /// <summary>For a CSV endpoint: the rejected parameters, as a 400's message.</summary>
    public string ProblemText => $"These query parameters are not valid: {string.Join(", ", rejected.Select(r => $"{r.Name} ({r.Label})"))}. Nothing was exported.";

    /// <summary>
    /// A CSV endpoint's answer to a query it cannot honour: 400 with the reason in plain text. Exporting a different
    /// set than the one asked for (the filter silently dropped) would be worse than exporting nothing.
    /// </summary>
    public static async Task WriteBadRequestAsync(HttpContext context, UrlState url)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(url.ProblemText, context.RequestAborted);
    }

    /// <summary>The current URL without the parameters that were not valid (what the page actually shows).</summary>
    public string WithoutRejected(NavigationManager navigation) =>
        rejected.Count == 0 ? navigation.Uri : navigation.GetUriWithQueryParameters(rejected.ToDictionary(r => r.Name, r => (object?)null));
}
