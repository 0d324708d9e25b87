using System.Globalization;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Customers;

public sealed record CustomerDomainRow(string Id, string Domain, DateTime? VerifiedAt, DateTime CreatedAt, long Version)
{
    public bool Verified => VerifiedAt is not null;
}

/// <summary>One customer's email domains as the Domains page shows them.</summary>
public sealed record CustomerDomains(string CustomerId, string CustomerName, bool CanVerify, IReadOnlyList<CustomerDomainRow> Domains);

/// <summary>
/// A customer's email domains for home-realm discovery: customer admins add and remove their own customer's,
/// platform admins any customer's; only a platform admin verifies one, and only a verified domain routes sign-ins.
/// </summary>
/// <remarks>
/// Why a platform admin, and not the customer: whoever controls a verified domain receives the sign-ins of everybody
/// with an email there. A customer admin verifying their own claim could take over another organisation's users (or
/// everybody at a shared mail host), so the claim stays inert until someone outside the customer has confirmed
/// ownership (in practice by a DNS record or a contract; there is no network check in the portal). A pending claim
/// blocks the same domain for other customers (the unique index); a platform admin resolves a wrong claim by
/// removing it.
/// </remarks>
public sealed class CustomerDomainService(IDbContextFactory<PortalDbContext> factory, TimeProvider clock)
{
    /// <summary>The customer's domains, or null when the customer does not exist for this tenant (not found).</summary>
    public async Task<CustomerDomains?> GetAsync(long customerId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (!CanManage(db.Tenant))
        {
            return null;
        }

        var customer = await db.Customers.AsNoTracking().Where(c => c.Id == customerId).Select(c => new { c.Id, c.Name }).FirstOrDefaultAsync(cancellationToken);
        if (customer is null)
        {
            return null;
        }

        var domains = await db.CustomerDomains.AsNoTracking().Where(d => d.CustomerId == customerId).OrderBy(d => d.Domain)
            .Select(d => new { d.Id, d.Domain, d.VerifiedAt, d.CreatedAt, d.Version }).ToListAsync(cancellationToken);
        return new CustomerDomains(Text(customer.Id), customer.Name, CanVerify(db.Tenant),
            [.. domains.Select(d => new CustomerDomainRow(Text(d.Id), d.Domain, d.VerifiedAt, d.CreatedAt, d.Version))]);
    }

    /// <summary>The customers whose domains this tenant may manage, by name: one for a customer admin.</summary>
    public async Task<List<(string Id, string Name)>> CustomersAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (!CanManage(db.Tenant))
        {
            return [];
        }

        var rows = await db.Customers.AsNoTracking().OrderBy(c => c.Name).Select(c => new { c.Id, c.Name }).ToListAsync(cancellationToken);
        return [.. rows.Select(c => (Text(c.Id), c.Name))];
    }

    public async Task<ChangeResult> AddAsync(long customerId, string domain, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (!CanManage(db.Tenant))
        {
            return ChangeResult.Missing();
        }

        if (!DomainNames.TryNormalize(domain, out string normalized, out string? error))
        {
            return ChangeResult.Invalid("Domain", error!);
        }

        if (!await db.Customers.AnyAsync(c => c.Id == customerId, cancellationToken))
        {
            return ChangeResult.Missing();
        }

        if (await db.CustomerDomains.AnyAsync(d => d.CustomerId == customerId && d.Domain == normalized, cancellationToken))
        {
            return ChangeResult.Invalid("Domain", $"{normalized} is already on this customer's list.");
        }

        var row = new CustomerDomain { CustomerId = customerId, Domain = normalized };
        db.CustomerDomains.Add(row);
        db.SetAuditAction(row, CustomerDomainAuditActions.Added);
        return await SaveAsync(db, cancellationToken);
    }

    /// <summary>Platform admins only: confirms that the customer owns the domain, from which moment it routes sign-ins.</summary>
    public async Task<ChangeResult> VerifyAsync(long domainId, long version, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = CanManage(db.Tenant) ? await db.CustomerDomains.FirstOrDefaultAsync(d => d.Id == domainId, cancellationToken) : null;
        if (row is null)
        {
            return ChangeResult.Missing();
        }

        if (!CanVerify(db.Tenant))
        {
            return ChangeResult.Invalid("Action", "Only a platform admin can verify a domain.");
        }

        if (row.VerifiedAt is not null)
        {
            return ChangeResult.Ok();
        }

        db.Entry(row).Property(d => d.Version).OriginalValue = version;
        row.VerifiedAt = clock.GetUtcNow().UtcDateTime;
        db.SetAuditAction(row, CustomerDomainAuditActions.Verified);
        return await SaveAsync(db, cancellationToken);
    }

    public async Task<ChangeResult> RemoveAsync(long domainId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = CanManage(db.Tenant) ? await db.CustomerDomains.FirstOrDefaultAsync(d => d.Id == domainId, cancellationToken) : null;
        if (row is null)
        {
            return ChangeResult.Missing();
        }

        db.CustomerDomains.Remove(row);
        db.SetAuditAction(row, CustomerDomainAuditActions.Removed);
        return await SaveAsync(db, cancellationToken);
    }

    /// <summary>Customer admins (their customer) and platform admins; the system scope for jobs and tests.</summary>
    private static bool CanManage(TenantScope scope) =>
        scope.Role is PortalRoles.CustomerAdmin or PortalRoles.PlatformAdmin || (scope.Role is null && scope.AllCustomers);

    private static bool CanVerify(TenantScope scope) => scope.Role == PortalRoles.PlatformAdmin || (scope.Role is null && scope.AllCustomers);

    private static async Task<ChangeResult> SaveAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return ChangeResult.Ok();
        }
        catch (DbUpdateConcurrencyException)
        {
            return new ChangeResult(false, [], "Someone else changed this domain after you opened it. Reload to see their change.");
        }
        catch (CrossTenantWriteException)
        {
            return ChangeResult.Missing();
        }
        catch (DbUpdateException exception) when (DatabaseFailure.IsUniqueViolation(exception))
        {
            // Another customer holds it: the unique index answers without this tenant ever reading their rows.
            return ChangeResult.Invalid("Domain", "This domain is already claimed by another organisation. If it is yours, ask a platform admin.");
        }
    }

    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);
}
