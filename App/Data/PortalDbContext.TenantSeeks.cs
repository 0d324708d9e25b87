using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Sites;

namespace AdminPortal.App.Data;

/// <summary>
/// The hot tenant reads, with the circuit's tenant repeated as a plain equality (see <see cref="TenantUsers"/> for why:
/// SQLite plans a statement before it binds parameters, so the filter's "all customers OR customer_id = @id" alone can
/// use no index that leads with the tenant and scans the whole table). Each repeats only what the Tenant filter already
/// requires; the filter stays on every query and stays the guard. A platform admin's "all customers" scope, and a
/// scope with no customer (which the filter leaves empty), get the plain set.
/// </summary>
public abstract partial class PortalDbContext
{
    /// <summary>Sites of this context's customer (and, for a site-bound scope, that site).</summary>
    public IQueryable<Site> TenantSites => Tenant switch
    {
        { AllCustomers: true } => Sites,
        { CustomerId: long customerId, SiteId: long siteId } => Sites.Where(s => s.CustomerId == customerId && s.Id == siteId),
        { CustomerId: long customerId } => Sites.Where(s => s.CustomerId == customerId),
        _ => Sites,
    };

    /// <summary>
    /// Posts of this context's sites: a site-bound scope (an editor) gets <c>site_id = @site</c>, a customer-wide one
    /// <c>customer_id = @id</c> (the post's copy of its site's customer), each leading indexes that also match the grid's
    /// sorts within a tab. The Tenant filter's join to sites alone made SQLite scan every tenant's posts, and a customer's
    /// <c>site_id IN (its sites)</c> still read and sorted all of the customer's posts of a tab for every page.
    /// </summary>
    public IQueryable<Post> TenantPosts => Tenant switch
    {
        { AllCustomers: true } => Posts,
        { CustomerId: long, SiteId: long siteId } => Posts.Where(p => p.SiteId == siteId),
        { CustomerId: long customerId } => Posts.Where(p => p.CustomerId == customerId),
        _ => Posts,
    };

    /// <summary>The audit log of this context's customer (index customer_id, at, id).</summary>
    public IQueryable<AuditEntry> TenantAuditLog => Tenant is { AllCustomers: false, CustomerId: long customerId } ? AuditLog.Where(a => a.CustomerId == customerId) : AuditLog;

    /// <summary>Jobs of this context's customer (index customer_id, created_at, id); the filter adds the site of a site-bound scope.</summary>
    public IQueryable<BulkJob> TenantJobs => Tenant is { AllCustomers: false, CustomerId: long customerId } ? Jobs.Where(j => j.CustomerId == customerId) : Jobs;
}
