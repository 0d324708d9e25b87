using System.Globalization;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Security;
using AdminPortal.App.Tenancy;
using CsvHelper;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Audit;

/// <summary><c>GET /audit/export.csv?…</c>: the audit page's filter, streamed as CSV, within the caller's tenant.</summary>
public static class AuditExport
{
    public static void MapAuditExport(this WebApplication app) =>
        app.MapGet("/audit/export.csv", ExportAsync).RequireAuthorization(PortalPolicies.ViewAudit).AsExport();

    public static AuditFilter FilterFrom(string? actor, string? entity, string? action, string? from, string? to) => new(
        actor, entity, action,
        DateTime.TryParse(from, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var start) ? start : null,
        DateTime.TryParse(to, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var end) ? end.AddDays(1) : null);

    private static async Task ExportAsync(HttpContext context, TenantContext tenant, IDbContextFactory<PortalDbContext> factory)
    {
        tenant.Use(TenantScope.FromPrincipal(context.User));
        await using var db = await factory.CreateDbContextAsync(context.RequestAborted);
        var query = context.Request.Query;
        var filter = FilterFrom(query["actor"], query["entity"], query["action"], query["from"], query["to"]);
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv\"";
        await WriteAsync(db, filter, context.Response.Body, context.RequestAborted);
    }

    public static async Task<int> WriteAsync(PortalDbContext db, AuditFilter filter, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new System.Text.UTF8Encoding(false), leaveOpen: true);
        await using var csv = CsvWriter.Create(writer, new CsvWriterOptions(), leaveOpen: true);
        await csv.WriteRecordAsync(["id", "at", "actor", "customer_id", "entity_type", "entity_id", "action", "changes"], cancellationToken);
        int written = 0;
        await foreach (var entry in AuditService.Filter(db, filter).OrderByDescending(a => a.At).ThenByDescending(a => a.Id).AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            await csv.WriteRecordAsync(
            [
                entry.Id.ToString(CultureInfo.InvariantCulture), entry.At.ToString("O"), entry.Actor, entry.CustomerId?.ToString(CultureInfo.InvariantCulture) ?? "",
                entry.EntityType, entry.EntityId.ToString(CultureInfo.InvariantCulture), entry.Action, entry.Changes ?? "",
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
