using System.Globalization;
using System.Runtime.CompilerServices;

namespace AdminPortal.App.Components.Shared;

/// <summary>
/// The viewer's time zone, from the browser: wwwroot/js/preferences.js writes Intl's zone id into the
/// <see cref="CookieName"/> cookie on every page load (the sign-in page included), App.razor reads it from the
/// request and Routes hands it to the circuit, so the prerendered page and the circuit both show local times. The id
/// is untrusted: anything that is not a known IANA zone falls back to UTC, and the times then say "UTC".
/// </summary>
public sealed class ViewerTimeZone
{
    public const string CookieName = "portal_tz";

    /// <summary>The longest IANA id is about 30 characters ("America/Argentina/ComodRivadavia").</summary>
    public const int MaxLength = 64;

    // Grid cells render through static RenderFragments (App/Components/Shared/GridCells.cs: no component, no DI per
    // cell), so they find the circuit's zone through the renderer they run on: each circuit (and each prerender) has
    // its own synchronization context. Weak keys: a closed circuit's entry goes with it.
    private static readonly ConditionalWeakTable<SynchronizationContext, ViewerTimeZone> ByRenderer = new();

    private static readonly ViewerTimeZone Utc = new();

    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;

    /// <summary>False when the browser sent a zone id this server does not know (or none): times are in UTC then.</summary>
    public bool Recognised { get; private set; }

    /// <summary>What the schedule field and the tooltips call the zone: its IANA id, or "UTC".</summary>
    /// A zone that is UTC+0 all year ("Etc/UTC", as many servers' browsers report) reads as plain "UTC".
    public string Name => Recognised && (Zone.BaseUtcOffset != TimeSpan.Zero || Zone.SupportsDaylightSavingTime) ? Zone.Id : "UTC";

    /// <summary>The zone of the component being rendered now; UTC outside a circuit or prerender that set one.</summary>
    public static ViewerTimeZone Current =>
        SynchronizationContext.Current is { } context && ByRenderer.TryGetValue(context, out var zone) ? zone : Utc;

    /// <summary>A viewer in <paramref name="browserZoneId"/> (unchecked input), not yet tied to a renderer.</summary>
    public static ViewerTimeZone From(string? browserZoneId)
    {
        // preferences.js escapes the id for the cookie; ASP.NET Core may or may not have unescaped it already.
        if (browserZoneId?.Contains('%') == true)
        {
            browserZoneId = Uri.UnescapeDataString(browserZoneId);
        }

        var zone = Resolve(browserZoneId);
        return new ViewerTimeZone { Zone = zone ?? TimeZoneInfo.Utc, Recognised = zone is not null };
    }

    /// <summary>Makes this the zone of every time rendered by the current renderer (the circuit, or the prerender).</summary>
    public void UseForCurrentRenderer()
    {
        if (SynchronizationContext.Current is { } context)
        {
            ByRenderer.AddOrUpdate(context, this);
        }
    }

    /// <summary>A known IANA (or Windows) zone id, or null: empty, oversized, odd characters, unknown.</summary>
    public static TimeZoneInfo? Resolve(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-' or '+')
            || id.Contains("..", StringComparison.Ordinal) || id.StartsWith('/'))
        {
            return null;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;
    }

    public DateTime ToLocal(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone);

    /// <summary>"2026-12-02 14:05 UTC+13": the absolute time shown under a relative one, offset included.</summary>
    public string Format(DateTime utc)
    {
        var local = ToLocal(utc);
        return local.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " " + Offset(utc);
    }

    /// <summary>Local time in <paramref name="pattern"/> with the offset: "14:05 UTC+13", "2026-12-02 14:05:09 UTC+13".</summary>
    public string Format(DateTime utc, string pattern) =>
        ToLocal(utc).ToString(pattern, CultureInfo.InvariantCulture) + " " + Offset(utc);

    /// <summary>
    /// The first instant of the viewer's calendar day <paramref name="date"/>, in UTC: what "from 2 December" means to
    /// someone in Auckland. Where the clocks skip midnight (summer time starting at 00:00, as in Santiago) the day
    /// starts at the first minute that exists; where they repeat it, at the first of the two.
    /// </summary>
    public DateTime StartOfDayUtc(DateTime date)
    {
        var local = DateTime.SpecifyKind(date.Date, DateTimeKind.Unspecified);
        for (int step = 0; step < 24 * 4 && Zone.IsInvalidTime(local); step++)
        {
            local = local.AddMinutes(15);
        }

        var utc = Zone.IsAmbiguousTime(local)
            ? local - Zone.GetAmbiguousTimeOffsets(local).Max()
            : TimeZoneInfo.ConvertTimeToUtc(local, Zone);
        return DateTime.SpecifyKind(utc, DateTimeKind.Utc);
    }

    /// <summary>The hover text: local time to the second, the zone's name, and UTC for comparison.</summary>
    public string Describe(DateTime utc) =>
        $"{ToLocal(utc).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {Name} ({Offset(utc)}); {DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC";

    /// <summary>A datetime-local input's value for a stored UTC time.</summary>
    public string ToInputValue(DateTime utc) => ToLocal(utc).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);

    /// <summary>
    /// A datetime-local input's value (the viewer's wall-clock time) as UTC. A time the clocks skip (the hour lost when
    /// summer time starts) is refused with a message; a time they repeat (the hour when it ends) is read as the
    /// earlier one, the summer time, and said so.
    /// </summary>
    public bool TryLocalToUtc(string? input, out DateTime utc, out string? message)
    {
        utc = default;
        message = null;
        if (string.IsNullOrWhiteSpace(input) || input.Length > 32
            || !DateTime.TryParseExact(input, ["yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            message = "Choose a date and time.";
            return false;
        }

        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (Zone.IsInvalidTime(local))
        {
            message = $"{local:yyyy-MM-dd HH:mm} does not exist in {Name}: the clocks go forward then. Choose another time.";
            return false;
        }

        if (Zone.IsAmbiguousTime(local))
        {
            var offsets = Zone.GetAmbiguousTimeOffsets(local);
            var summer = offsets.Max();
            utc = DateTime.SpecifyKind(local - summer, DateTimeKind.Utc);
            message = $"{local:yyyy-MM-dd HH:mm} happens twice in {Name}; the first one (UTC{Sign(summer)}) was used.";
            return true;
        }

        utc = TimeZoneInfo.ConvertTimeToUtc(local, Zone);
        return true;
    }

    private string Offset(DateTime utc) => "UTC" + Sign(Zone.GetUtcOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));

    private static string Sign(TimeSpan offset) => offset == TimeSpan.Zero
        ? ""
        : (offset < TimeSpan.Zero ? "-" : "+") + (offset.Minutes == 0
            ? Math.Abs(offset.Hours).ToString(CultureInfo.InvariantCulture)
            : offset.Duration().ToString(@"h\:mm", CultureInfo.InvariantCulture));
}
