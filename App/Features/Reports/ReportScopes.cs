using System.Globalization;
using AdminPortal.App.Tenancy;

namespace AdminPortal.App.Features.Reports;

/// <summary>
/// Which snapshot a tenant scope reads. The key comes from the circuit's server-side scope only, never from the
/// browser: a customer admin's key names their customer, the platform admin's "all customers" is "all", and a
/// platform admin switched to a customer (or an editor held to a site) gets that customer's (or site's) own key.
/// </summary>
public static class ReportScopes
{
    public const string AllCustomers = "all";

    /// <summary>The snapshot key of a scope, or null when the scope sees nothing (unresolved, anonymous).</summary>
    public static string? KeyOf(TenantScope scope) => scope switch
    {
        { AllCustomers: true } => AllCustomers,
        { CustomerId: long customer, SiteId: long site } => string.Create(CultureInfo.InvariantCulture, $"customer:{customer}:site:{site}"),
        { CustomerId: long customer } => string.Create(CultureInfo.InvariantCulture, $"customer:{customer}"),
        _ => null,
    };

    /// <summary>
    /// The scope a computation runs in: the same rows as the viewer's scope, without the viewer's identity or a
    /// "view as" (whose read-only guard would refuse the snapshot's write).
    /// </summary>
    public static TenantScope ComputationScope(long? customerId, long? siteId) =>
        customerId is null ? TenantScope.System("reports") : new TenantScope("reports", null, null, customerId, siteId, false);

    public static TenantScope ComputationScope(TenantScope viewer) =>
        viewer.AllCustomers ? ComputationScope(null, null) : ComputationScope(viewer.CustomerId, viewer.SiteId);
}
