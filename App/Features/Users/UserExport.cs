using System.Globalization;
using AdminPortal.App.Auth;
using AdminPortal.App.Components.Shared;
using AdminPortal.App.Data;
using AdminPortal.App.Security;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Users;

/// <summary>
/// <c>GET /users/export.csv?…</c>: the users matching the grid's filter (the same query string), streamed row by row
/// with CsvHelper. Never the whole set in memory, and never a secret: only whether a password hash exists.
/// </summary>
public static class UserExport
{
    public static void MapUserExport(this WebApplication app) =>
        app.MapGet("/users/export.csv", ExportAsync).RequireAuthorization(PortalPolicies.ViewUsers).AsExport();

    /// <summary>
    /// The grid's filter from its URL, for the page and for the export alike. URL state is untrusted: each value is
    /// parsed, and one that is not valid is left out and recorded in <paramref name="url"/>.
    /// </summary>
    public static UserFilter FilterFrom(UrlState url, string? q, string? site, string? auth, string? sync, string? state, string? dormant, string? provider, string? sort = null, string? dir = null) => new(
        url.Text("q", "search", q),
        url.Id("site", "site", site),
        url.Choice<AuthKind>("auth", "sign-in", auth),
        url.Choice<SyncStatus>("sync", "sync status", sync),
        url.Choice<UserState>("state", "state", state),
        url.Number("dormant", "dormant days", dormant, 1, UserFilter.MaxDormantDays),
        url.Choice<UserSort>("sort", "sort", sort) ?? UserSort.Name,
        url.Descending("dir", dir) ?? false,
        url.Id("provider", "identity provider", provider));

    public static UserFilter FilterFrom(IQueryCollection query, UrlState url) =>
        FilterFrom(url, query["q"], query["site"], query["auth"], query["sync"], query["state"], query["dormant"], query["provider"]);

    private static async Task ExportAsync(HttpContext context, TenantContext tenant, IDbContextFactory<PortalDbContext> factory, UserService users)
    {
        // A download cannot show a notice, and a different set than asked for is worse than none: refuse.
        var url = new UrlState();
        var filter = FilterFrom(context.Request.Query, url);
        if (!url.IsValid)
        {
            await UrlState.WriteBadRequestAsync(context, url);
            return;
        }

        // An endpoint, not a circuit: the tenant comes from this request's signed-in principal.
        tenant.Use(TenantScope.FromPrincipal(context.User));
        await using var db = await factory.CreateDbContextAsync(context.RequestAborted);
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"users-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv\"";
        await WriteAsync(db, users, filter, context.Response.Body, context.RequestAborted);
    }

    /// <summary>Writes the filtered users as CSV, row by row as the database returns them.</summary>
    /// <returns>How many users it wrote.</returns>
    public static async Task<int> WriteAsync(PortalDbContext db, UserService users, UserFilter filter, Stream output, CancellationToken cancellationToken)
    {
        var rows = users.Filter(db, filter)
            .OrderBy(u => u.Id)
            .Select(u => new
            {
                u.Id, u.DisplayName, u.Email, Site = u.Site!.Name,
                Legacy = u.PasswordHash != null || u.AzureObjectId != null,
                Oidc = db.UserCiamMappings.Any(m => m.UserId == u.Id),
                HasPassword = u.PasswordHash != null, u.AzureObjectId, u.LoginCount, u.LastLoginAt,
                u.SyncStatus, u.LastSyncedAt, u.LastSyncError, u.IsActive, u.IsLocked, u.CreatedAt,
                Invited = u.InvitedAt != null && u.InvitationAcceptedAt == null, u.InvitationExpiresAt,
            })
            .AsNoTracking()
            .AsAsyncEnumerable();

        // Formula-safe: a name such as =HYPERLINK(…) reaches the spreadsheet as text.
        await using var csv = new SpreadsheetSafeCsvWriter(output);
        await csv.WriteRecordAsync(["id", "display_name", "email", "site", "auth_kind", "has_password", "azure_object_id", "login_count", "last_login_at", "sync_status", "last_synced_at", "last_sync_error", "active", "locked", "created_at", "invitation_pending", "invitation_expires_at"], cancellationToken);
        int written = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            // Ids as text: spreadsheet programs round numbers beyond 2^53.
            await csv.WriteRecordAsync(
            [
                row.Id.ToString(CultureInfo.InvariantCulture), row.DisplayName, row.Email, row.Site,
                (row.Legacy && row.Oidc ? AuthKind.Both : row.Oidc ? AuthKind.Oidc : AuthKind.LegacyOnly).ToString(),
                row.HasPassword ? "true" : "false", row.AzureObjectId ?? "", row.LoginCount.ToString(CultureInfo.InvariantCulture),
                row.LastLoginAt?.ToString("O") ?? "", row.SyncStatus.ToString(), row.LastSyncedAt?.ToString("O") ?? "", row.LastSyncError ?? "",
                row.IsActive ? "true" : "false", row.IsLocked ? "true" : "false", row.CreatedAt.ToString("O"),
                row.Invited ? "true" : "false", row.Invited ? row.InvitationExpiresAt?.ToString("O") ?? "" : "",
            ], cancellationToken);
            if (++written % 1000 == 0)
            {
                await csv.FlushAsync(cancellationToken); // stream as it goes: memory stays flat at any size
            }
        }

        await csv.FlushAsync(cancellationToken);
        return written;
    }
}
