namespace AdminPortal.App.Grid;

/// <summary>The outcome of a change: success, field errors (shown next to the fields), or a concurrency conflict.</summary>
public sealed record ChangeResult(bool Succeeded, Dictionary<string, string> Errors, string? Conflict = null, bool NotFound = false)
{
    public static ChangeResult Ok() => new(true, []);

    public static ChangeResult Missing() => new(false, [], NotFound: true);

    public static ChangeResult Invalid(string field, string message) => new(false, new Dictionary<string, string> { [field] = message });
}
