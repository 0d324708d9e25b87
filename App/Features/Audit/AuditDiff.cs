using System.Globalization;
using System.Text.Json;

namespace AdminPortal.App.Features.Audit;

/// <summary>One changed field as a person reads it. <see cref="Old"/> is null when the entry has no "before" (a plain value, a creation).</summary>
public sealed record AuditChange(string Field, string? Old, string? New, bool IsDiff, bool Secret = false);

/// <summary>
/// Turns an entry's changes JSON ({"field": {"old": a, "new": b}}, or plain values) into lines for display. Values are
/// cut to <see cref="MaxValueLength"/> characters and entries to <see cref="MaxFields"/> fields, so an entry holding
/// megabytes costs the page (and the circuit that keeps the rows) a few kilobytes.
/// </summary>
public static class AuditDiff
{
    public const int MaxValueLength = 300;
    public const int MaxFields = 40;
    public const string Nothing = "(none)";

    public static IReadOnlyList<AuditChange> Parse(string? changes)
    {
        if (string.IsNullOrEmpty(changes))
        {
            return [];
        }

        try
        {
            using var json = JsonDocument.Parse(changes);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                return [new AuditChange("", null, Cut(json.RootElement.ToString()), false)];
            }

            var lines = new List<AuditChange>();
            int total = 0;
            foreach (var property in json.RootElement.EnumerateObject())
            {
                if (++total > MaxFields)
                {
                    continue;
                }

                var value = property.Value;
                string field = Cut(property.Name);
                if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("changed", out _) && !value.TryGetProperty("new", out _))
                {
                    lines.Add(new AuditChange(field, null, null, true, Secret: true));
                }
                else if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("old", out var old) && value.TryGetProperty("new", out var @new))
                {
                    lines.Add(new AuditChange(field, Text(old), Text(@new), true));
                }
                else
                {
                    lines.Add(new AuditChange(field, null, Text(value), false));
                }
            }

            if (total > MaxFields)
            {
                lines.Add(new AuditChange("", null, string.Create(CultureInfo.InvariantCulture, $"… and {total - MaxFields:N0} more fields"), false));
            }

            return lines;
        }
        catch (JsonException)
        {
            // Not JSON (an old or hand-written entry): the text itself, cut like any value.
            return [new AuditChange("", null, Cut(changes), false)];
        }
    }

    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => Nothing,
        JsonValueKind.String => Cut(value.GetString() ?? ""),
        _ => Cut(value.GetRawText()),
    };

    public static string Cut(string value) =>
        value.Length <= MaxValueLength ? value : string.Create(CultureInfo.InvariantCulture, $"{value[..MaxValueLength]}… ({value.Length - MaxValueLength:N0} more characters)");
}
