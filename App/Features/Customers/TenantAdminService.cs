using System.Globalization;
using System.Text.RegularExpressions;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Sites;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Customers;

public sealed record CustomerRow(string Id, string Name, string Slug, bool IsActive, int Sites, CappedCount Users, CappedCount Posts, long Version);

public sealed record SiteRow(string Id, string CustomerId, string Customer, string Name, string Domain, bool IsActive, CappedCount Users, CappedCount Posts, long Version);

/// <summary>What deactivating or deleting would touch, for the confirmation.</summary>
public sealed record Impact(int Sites, CappedCount Users, CappedCount Posts);

/// <summary>
/// Customers (platform admins) and sites (platform admins, and customer admins for their own customer): create, edit,
/// deactivate and delete, with the guards: a slug and a domain are unique and well-formed, a site never moves between
/// customers, and only an empty customer or site can be deleted. Deactivating leaves every row in place; its users
/// cannot sign in (SignInService and the session checks read the flag).
/// </summary>
public sealed partial class TenantAdminService(IDbContextFactory<PortalDbContext> factory)
{
    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex SlugPattern();

    public async Task<List<CustomerRow>> ListCustomersAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var customers = await db.Customers.AsNoTracking().OrderBy(c => c.Name).ToListAsync(cancellationToken);
        var rows = new List<CustomerRow>();
        foreach (var c in customers)
        {
            var impact = await ImpactAsync(db, c.Id, null, cancellationToken);
            rows.Add(new CustomerRow(Text(c.Id), c.Name, c.Slug, c.IsActive, impact.Sites, impact.Users, impact.Posts, c.Version));
        }

        return rows;
    }

    public async Task<List<SiteRow>> ListSitesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var sites = await db.Sites.AsNoTracking().Include(s => s.Customer).OrderBy(s => s.Customer!.Name).ThenBy(s => s.Name).ToListAsync(cancellationToken);
        var rows = new List<SiteRow>();
        foreach (var s in sites)
        {
            var impact = await ImpactAsync(db, null, s.Id, cancellationToken);
            rows.Add(new SiteRow(Text(s.Id), Text(s.CustomerId), s.Customer!.Name, s.Name, s.Domain, s.IsActive, impact.Users, impact.Posts, s.Version));
        }

        return rows;
    }

    public async Task<Impact> CustomerImpactAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await ImpactAsync(db, id, null, cancellationToken);
    }

    public async Task<Impact> SiteImpactAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await ImpactAsync(db, null, id, cancellationToken);
    }

    public async Task<ChangeResult> SaveCustomerAsync(long? id, string name, string slug, long version, CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        slug = slug.Trim();
        if (name.Length > Customer.MaxNameLength)
        {
            return ChangeResult.Invalid("Name", TextLimits.Message("A name", Customer.MaxNameLength, name.Length));
        }

        if (name.Length == 0)
        {
            return ChangeResult.Invalid("Name", $"Enter a name of at most {Customer.MaxNameLength} characters.");
        }

        if (slug.Length > Customer.MaxSlugLength)
        {
            return ChangeResult.Invalid("Slug", TextLimits.Message("A slug", Customer.MaxSlugLength, slug.Length));
        }

        if (!SlugPattern().IsMatch(slug))
        {
            return ChangeResult.Invalid("Slug", "A slug has lower-case letters, digits and single hyphens, like 'contoso-media'.");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await db.Customers.AnyAsync(c => c.Slug == slug && c.Id != id, cancellationToken))
        {
            return ChangeResult.Invalid("Slug", "Another customer already has this slug.");
        }

        Customer customer;
        if (id is null)
        {
            customer = new Customer { Name = name, Slug = slug };
            db.Customers.Add(customer);
        }
        else
        {
            customer = await db.Customers.FirstOrDefaultAsync(c => c.Id == id, cancellationToken) ?? null!;
            if (customer is null)
            {
                return ChangeResult.Missing();
            }

            db.Entry(customer).Property(c => c.Version).OriginalValue = version;
            customer.Name = name;
            customer.Slug = slug;
        }

        return await SaveAsync(db, cancellationToken);
    }

    public async Task<ChangeResult> SaveSiteAsync(long? id, long customerId, string name, string domain, long version, CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        domain = domain.Trim().ToLowerInvariant().TrimEnd('.');
        if (name.Length > Site.MaxNameLength)
        {
            return ChangeResult.Invalid("Name", TextLimits.Message("A name", Site.MaxNameLength, name.Length));
        }

        if (name.Length == 0)
        {
            return ChangeResult.Invalid("Name", $"Enter a name of at most {Site.MaxNameLength} characters.");
        }

        if (domain.Length > Site.MaxDomainLength)
        {
            return ChangeResult.Invalid("Domain", TextLimits.Message("A host name", Site.MaxDomainLength, domain.Length));
        }

        if (!domain.Contains('.') || Uri.CheckHostName(domain) != UriHostNameType.Dns)
        {
            return ChangeResult.Invalid("Domain", "Enter a host name, like news.example.com.");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (id is null)
        {
            if (!await db.Customers.AnyAsync(c => c.Id == customerId, cancellationToken))
            {
                return ChangeResult.Invalid("Customer", "Choose a customer.");
            }

            db.Sites.Add(new Site { CustomerId = customerId, Name = name, Domain = domain });
        }
        else
        {
            var site = await db.Sites.FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
            if (site is null)
            {
                return ChangeResult.Missing();
            }

            if (site.CustomerId != customerId)
            {
                return ChangeResult.Invalid("Customer", "A site cannot move to another customer.");
            }

            db.Entry(site).Property(s => s.Version).OriginalValue = version;
            site.Name = name;
            site.Domain = domain;
        }

        return await SaveAsync(db, cancellationToken);
    }

    public async Task<ChangeResult> SetCustomerActiveAsync(long id, bool active, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var customer = await db.Customers.FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (customer is null)
        {
            return ChangeResult.Missing();
        }

        if (!active && customer.IsActive && await DeactivationRefusalAsync(db, id, cancellationToken) is { } refusal)
        {
            return ChangeResult.Invalid("Action", refusal);
        }

        customer.IsActive = active;
        db.SetAuditAction(customer, active ? "activate" : "deactivate");
        return await SaveAsync(db, cancellationToken);
    }

    /// <summary>
    /// A deactivated customer's users cannot sign in: never the actor's own customer, nor the customer of the last
    /// active platform admins. Counts across tenants, never rows.
    /// </summary>
    private static async Task<string?> DeactivationRefusalAsync(PortalDbContext db, long customerId, CancellationToken cancellationToken)
    {
        var everyone = db.Users.IgnoreQueryFilters([PortalDbContext.TenantFilter]);
        if (db.Tenant.ActorUserId is long self && await everyone.AnyAsync(u => u.Id == self && u.CustomerId == customerId, cancellationToken))
        {
            return "You cannot deactivate your own customer: you would lose access yourself. Another platform admin can do it.";
        }

        bool platformAdminHere = await everyone.AnyAsync(u => u.CustomerId == customerId && u.PortalRole == PortalRole.PlatformAdmin && u.IsActive && !u.IsLocked, cancellationToken);
        bool platformAdminElsewhere = await everyone.AnyAsync(u => u.CustomerId != customerId && u.PortalRole == PortalRole.PlatformAdmin && u.IsActive && !u.IsLocked && (u.InvitedAt == null || u.InvitationAcceptedAt != null) && u.Customer!.IsActive, cancellationToken);
        return platformAdminHere && !platformAdminElsewhere
            ? "This customer holds the last active platform admin: deactivating it would leave nobody to manage the platform."
            : null;
    }

    public async Task<ChangeResult> SetSiteActiveAsync(long id, bool active, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var site = await db.Sites.FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (site is null)
        {
            return ChangeResult.Missing();
        }

        site.IsActive = active;
        db.SetAuditAction(site, active ? "activate" : "deactivate");
        return await SaveAsync(db, cancellationToken);
    }

    public async Task<ChangeResult> DeleteCustomerAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var customer = await db.Customers.FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (customer is null)
        {
            return ChangeResult.Missing();
        }

        int sites = await db.Sites.CountAsync(s => s.CustomerId == id, cancellationToken);
        if (sites > 0 || await db.CiamSystems.AnyAsync(c => c.CustomerId == id, cancellationToken))
        {
            return ChangeResult.Invalid("Action", sites > 0
                ? $"{customer.Name} still has {sites} site(s). Delete them first, or deactivate the customer instead."
                : $"{customer.Name} still has identity providers. Remove them first, or deactivate the customer instead.");
        }

        if (await db.CustomerDomains.AnyAsync(d => d.CustomerId == id, cancellationToken))
        {
            return ChangeResult.Invalid("Action", $"{customer.Name} still has email domains. Remove them first, or deactivate the customer instead.");
        }

        db.Customers.Remove(customer);
        return await SaveAsync(db, cancellationToken);
    }

    public async Task<ChangeResult> DeleteSiteAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var site = await db.Sites.FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (site is null)
        {
            return ChangeResult.Missing();
        }

        var impact = await ImpactAsync(db, null, id, cancellationToken);
        if (impact.Users.Value > 0 || impact.Posts.Value > 0)
        {
            return ChangeResult.Invalid("Action", $"{site.Name} still has {impact.Users} user(s) and {impact.Posts} post(s), including the Trash. Deactivate it instead.");
        }

        db.Sites.Remove(site);
        return await SaveAsync(db, cancellationToken);
    }

    private static async Task<Impact> ImpactAsync(PortalDbContext db, long? customerId, long? siteId, CancellationToken cancellationToken)
    {
        var users = db.Users.Where(u => (customerId == null || u.CustomerId == customerId) && (siteId == null || u.SiteId == siteId));
        var posts = db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).Where(p => (customerId == null || p.Site!.CustomerId == customerId) && (siteId == null || p.SiteId == siteId));
        int sites = customerId is null ? 0 : await db.Sites.CountAsync(s => s.CustomerId == customerId, cancellationToken);
        return new Impact(sites, await CappedCount.CountAsync(users, cancellationToken), await CappedCount.CountAsync(posts, cancellationToken));
    }

    private static async Task<ChangeResult> SaveAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return ChangeResult.Ok();
        }
        catch (DbUpdateConcurrencyException)
        {
            return new ChangeResult(false, [], "Someone else changed this after you opened it. Reload to see their change; nothing of yours was saved.");
        }
        catch (CrossTenantWriteException)
        {
            return ChangeResult.Invalid("Customer", "That customer is not yours.");
        }
        catch (DbUpdateException)
        {
            // Domains are unique across every tenant; the unique index says so without the filters being bypassed.
            return ChangeResult.Invalid("Domain", "Another site already uses this domain.");
        }
    }

    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);
}
