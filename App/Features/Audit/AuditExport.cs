using System.Globalization;
using AdminPortal.App.Auth;
using AdminPortal.App.Components.Shared;
using AdminPortal.App.Data;
using AdminPortal.App.Security;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Audit;

/// <summary><c>GET /audit/export.csv?…</c>: the audit page's filter, streamed as CSV, within the caller's tenant.</summary>
public static class AuditExport
{
    public static void MapAuditExport(this WebApplication app) =>
        app.MapGet("/audit/export.csv", ExportAsync).RequireAuthorization(PortalPolicies.ViewAudit).AsExport();

    /// <summary>
    /// The audit page's filter from its URL (untrusted: a value that is not valid is left out and recorded in
    /// <paramref name="url"/>). The dates are the viewer's calendar days, so "from 2 December" in Auckland starts at
    /// 11:00 UTC on 1 December; the filter holds the UTC instants the query compares with.
    /// </summary>
    public static AuditFilter FilterFrom(UrlState url, ViewerTimeZone zone, string? actor, string? entity, string? action, string? from, string? to) => new(
        url.Text("actor", "who", actor),
        url.Text("entity", "entity", entity, maxLength: 100),
        url.Text("action", "action", action, maxLength: 100),
        url.Date("from", "from date", from) is { } fromDay ? zone.StartOfDayUtc(fromDay) : null,
        url.Date("to", "to date", to) is { } toDay ? zone.StartOfDayUtc(toDay.AddDays(1)) : null); // inclusive: up to the start of the next day; the date's range keeps this from overflowing

    private static async Task ExportAsync(HttpContext context, TenantContext tenant, IDbContextFactory<PortalDbContext> factory)
    {
        var query = context.Request.Query;
        var url = new UrlState();
        // The same days as the page that linked here: the viewer's zone from the same cookie (UTC when it is missing).
        var zone = ViewerTimeZone.From(context.Request.Cookies[ViewerTimeZone.CookieName]);
        var filter = FilterFrom(url, zone, query["actor"], query["entity"], query["action"], query["from"], query["to"]);
        if (!url.IsValid)
        {
            await UrlState.WriteBadRequestAsync(context, url);
            return;
        }

        tenant.Use(TenantScope.FromPrincipal(context.User));
        await using var db = await factory.CreateDbContextAsync(context.RequestAborted);
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv\"";
        await WriteAsync(db, filter, context.Response.Body, context.RequestAborted);
    }

    public static async Task<int> WriteAsync(PortalDbContext db, AuditFilter filter, Stream output, CancellationToken cancellationToken)
    {
        // Formula-safe: a name such as =HYPERLINK(…) reaches the spreadsheet as text.
        await using var csv = new SpreadsheetSafeCsvWriter(output);
        await csv.WriteRecordAsync(["id", "at_utc", "actor", "customer_id", "entity_type", "entity_id", "entity_label", "action", "changes"], cancellationToken);
        int written = 0;
        await foreach (var entry in AuditService.Filter(db, filter).OrderByDescending(a => a.At).ThenByDescending(a => a.Id).AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            await csv.WriteRecordAsync(
            [
                entry.Id.ToString(CultureInfo.InvariantCulture), entry.At.ToString("O"), entry.Actor, entry.CustomerId?.ToString(CultureInfo.InvariantCulture) ?? "",
                entry.EntityType, entry.EntityId.ToString(CultureInfo.InvariantCulture),
                AuditService.EntityLabel(entry.EntityType, entry.EntityId, entry.EntityLabel, entry.Changes), entry.Action, entry.Changes ?? "",
            ], cancellationToken);
            if (++written % 1000 == 0)
            {
                await csv.FlushAsync(cancellationToken);
            }
        }

        await csv.FlushAsync(cancellationToken);
        return written;
    }
}
