using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Tenancy;

public sealed record TenantChoice(long Id, string Name, List<TenantChoice> Sites);

/// <summary>The platform admin's customer → site switcher: the choices, and the audited switch itself.</summary>
public sealed class TenantSwitchService(TenantContext tenant, IServiceScopeFactory scopes)
{
    /// <summary>Every customer and its sites, as the signed-in (unswitched) platform admin sees them.</summary>
    public async Task<List<TenantChoice>> GetChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = SignedInScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
        var customers = await db.Customers.AsNoTracking().OrderBy(c => c.Name).Select(c => new { c.Id, c.Name }).ToListAsync(cancellationToken);
        var sites = await db.Sites.AsNoTracking().OrderBy(s => s.Name).Select(s => new { s.Id, s.Name, s.CustomerId }).ToListAsync(cancellationToken);
        return customers.Select(c => new TenantChoice(c.Id, c.Name, sites.Where(s => s.CustomerId == c.Id).Select(s => new TenantChoice(s.Id, s.Name, [])).ToList())).ToList();
    }

    /// <summary>Switches the circuit to a customer (and site), or back to all customers with null; writes a switch_tenant audit entry.</summary>
    public Task SwitchAsync(long? customerId, long? siteId, CancellationToken cancellationToken = default) =>
        ApplyAsync(customerId, siteId, audit: true, cancellationToken);

    /// <summary>
    /// Re-applies a switch this browser already made (its cookie, on a reload or in a new tab), with the same checks
    /// but without a second audit entry: the switch itself was audited when it was made.
    /// </summary>
    public Task RestoreAsync(long customerId, long? siteId, CancellationToken cancellationToken = default) =>
        ApplyAsync(customerId, siteId, audit: false, cancellationToken);

    private async Task ApplyAsync(long? customerId, long? siteId, bool audit, CancellationToken cancellationToken)
    {
        var before = tenant.Current;
        string label = "All customers";
        await using (var scope = SignedInScope())
        {
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
            if (customerId is not null)
            {
                // Ids from the browser: a site must belong to the chosen customer, and both must exist.
                label = await db.Customers.Where(c => c.Id == customerId).Select(c => c.Name).SingleOrDefaultAsync(cancellationToken)
                    ?? throw new KeyNotFoundException("That customer does not exist.");
                if (siteId is not null)
                {
                    string site = await db.Sites.Where(s => s.Id == siteId && s.CustomerId == customerId).Select(s => s.Name).SingleOrDefaultAsync(cancellationToken)
                        ?? throw new KeyNotFoundException("That site does not belong to the customer.");
                    label += " · " + site;
                }
            }

            if (!audit)
            {
                tenant.SwitchTo(customerId, siteId, label);
                return;
            }

            db.AuditLog.Add(new AuditEntry
            {
                At = DateTime.UtcNow,
                Actor = before.Actor,
                ActorUserId = before.ActorUserId,
                CustomerId = customerId,
                EntityType = "Tenant",
                EntityId = customerId ?? 0,
                EntityLabel = AuditLabels.Clip(label),
                Action = "switch_tenant",
                Changes = System.Text.Json.JsonSerializer.Serialize(new
                {
                    customer_id = new { old = before.CustomerId, @new = customerId },
                    site_id = new { old = before.SiteId, @new = siteId },
                }),
            });
            await db.SaveChangesAsync(cancellationToken);
        }

        tenant.SwitchTo(customerId, siteId, label);
    }

    private AsyncServiceScope SignedInScope()
    {
        var signedIn = tenant.SignedIn;
        if (signedIn.Role != PortalRoles.PlatformAdmin)
        {
            throw new UnauthorizedAccessException("Only a platform admin can switch tenant.");
        }

        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(signedIn);
        return scope;
    }
}
